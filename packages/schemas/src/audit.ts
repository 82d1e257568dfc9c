import { z } from 'zod';
import { ActorSchema, HashSchema } from './alert';
import { EpochMsSchema, IdSchema } from './ids';

/**
 * `ganzhi.audit.v1`: a refused action, recorded with who tried it (the authenticated principal),
 * what (a policy action such as `alerts.close`, or `mqtt.connect` / `mqtt.subscribe`), on what,
 * by which path, and why it was refused. Keyed by actor.
 */
export const RefusalSchema = z.object({
  id: z.string().min(1).max(128),
  at: EpochMsSchema,
  actor: ActorSchema,
  action: z.string().min(1).max(64),
  target: z.string().max(512).optional(),
  via: z.enum(['mqtt', 'http', 'bus']),
  code: z.string().min(1).max(64),
  reason: z.string().max(1024),
});
export type Refusal = z.infer<typeof RefusalSchema>;

/** A key id of the audit keyring: letters, digits, `_`, `.`, `-`. */
export const KeyIdSchema = z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/);

/**
 * `ganzhi.audit-heads.v1`: a device's audit-chain head as the alert manager last saw it, signed
 * with the audit key (HMAC-SHA256 over deviceId, seq, hash, at and keyId; packages/alerts
 * audit-key.ts). Keyed by device, so a compacted topic keeps each device's newest head: deleting
 * a device's newest stored events is detected against it.
 */
export const AuditHeadSchema = z.object({
  deviceId: IdSchema,
  seq: z.number().int().positive(),
  hash: HashSchema,
  at: EpochMsSchema,
  keyId: KeyIdSchema,
  mac: HashSchema,
});
export type AuditHead = z.infer<typeof AuditHeadSchema>;

/**
 * A signed checkpoint: the heads of many devices at one time, chained to the previous checkpoint
 * of the same file (`prevMac`). Appended to `<data>/audit/checkpoints.ndjson` by the alert
 * manager and served (all current heads) by `GET /api/audit/checkpoint` for an operator to keep
 * somewhere else; `audit:verify --checkpoint <file>` checks the store against it.
 */
export const AuditCheckpointSchema = z.object({
  id: z.string().min(1).max(128),
  at: EpochMsSchema,
  keyId: KeyIdSchema,
  heads: z.array(AuditHeadSchema.pick({ deviceId: true, seq: true, hash: true })),
  prevMac: HashSchema.optional(),
  mac: HashSchema,
});
export type AuditCheckpoint = z.infer<typeof AuditCheckpointSchema>;
