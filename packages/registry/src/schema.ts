import { z } from 'zod';
import { DeviceKindSchema, IdSchema, PayloadFormatSchema } from '@ganzhi/schemas';
import { DutyGroupSchema, ReceiverSchema } from './receivers';
import { ROLES } from './policy';

/** A stored secret: `scrypt$<N>$<r>$<p>$<salt base64>$<hash base64>` (see secrets.ts). */
export const SecretHashSchema = z.string().regex(/^scrypt\$\d+\$\d+\$\d+\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/, 'must be an scrypt hash made by `npm run hash-secret`');

/** Per-device parameters that rules refer to by name, e.g. a gauge's own warning level. */
export const AttributesSchema = z.record(z.string().min(1).max(64), z.union([z.number().finite(), z.string(), z.boolean()]));

/**
 * Units a device reports, keyed by protocol code (HJ 212 `a21026`) or metric name (`so2`), e.g.
 * `{ "a21026": "mg/m3" }`. The normalizer converts each value to its metric's canonical unit.
 */
export const UnitsSchema = z.record(z.string().min(1).max(64), z.string().min(1).max(16));

/**
 * A device model: what many devices of one make have in common (the units of the codes they
 * report). A device names its model and may override any unit.
 */
export const DeviceModelSchema = z.object({
  id: IdSchema,
  kind: DeviceKindSchema,
  name: z.string().max(128).optional(),
  units: UnitsSchema.default({}),
});
export type DeviceModel = z.infer<typeof DeviceModelSchema>;

export const DeviceSchema = z.object({
  id: IdSchema,
  kind: DeviceKindSchema,
  /** Where the device is: used for grouping (composite rules, silences) and stored with readings. */
  site: z.string().min(1).max(64).optional(),
  name: z.string().max(128).optional(),
  /** Payload format the device speaks on its telemetry topic. */
  format: PayloadFormatSchema.default('json'),
  secret: SecretHashSchema,
  /** Expected seconds between reports (absence detection). */
  reportIntervalSec: z.number().int().positive().max(86_400).default(300),
  attributes: AttributesSchema.default({}),
  /** The device's model (registry `models[].id`), whose units it inherits. */
  model: IdSchema.optional(),
  /**
   * Units of this device: its model's units with the device's own entries on top (the registry
   * resolves them when it loads; a device entry overrides its model's).
   */
  units: UnitsSchema.optional(),
});
export type Device = z.infer<typeof DeviceSchema>;

export const OperatorSchema = z.object({
  id: IdSchema,
  name: z.string().max(128).optional(),
  secret: SecretHashSchema,
  /**
   * viewer, operator, supervisor, admin (cumulative; the highest one listed counts): see
   * policy.ts and the README's roles table. Older registries list ['operator'] or ['operator', 'admin'].
   */
  roles: z.array(z.enum(ROLES)).min(1).default(['operator']),
  team: z.string().max(64).optional(),
  /** Where this operator is notified (e.g. of an alert dispatched to them); see packages/notify. */
  receivers: z.array(ReceiverSchema).max(20).optional(),
});
export type Operator = z.infer<typeof OperatorSchema>;

export const RegistryFileSchema = z
  .object({
    /** Marks a registry whose credentials are public (the shipped demo); logged loudly at start-up. */
    demo: z.boolean().default(false),
    models: z.array(DeviceModelSchema).optional(),
    devices: z.array(DeviceSchema).default([]),
    operators: z.array(OperatorSchema).default([]),
    /** Duty groups with their receivers (notification routing names them as `group:<id>`). */
    dutyGroups: z.array(DutyGroupSchema).optional(),
  })
  .superRefine((reg, ctx) => {
    const seen = new Set<string>();
    const all = [...reg.devices.map((d, i) => ['devices', i, d.id] as const), ...reg.operators.map((o, i) => ['operators', i, o.id] as const)];
    for (const [list, i, id] of all) {
      if (seen.has(id)) ctx.addIssue({ code: 'custom', path: [list, i, 'id'], message: `duplicate id "${id}" (device and operator ids share one namespace: they are MQTT usernames)` });
      seen.add(id);
    }
    const groups = new Set<string>();
    (reg.dutyGroups ?? []).forEach((g, i) => {
      if (groups.has(g.id)) ctx.addIssue({ code: 'custom', path: ['dutyGroups', i, 'id'], message: `duplicate duty group "${g.id}"` });
      groups.add(g.id);
      g.members.forEach((m, j) => {
        if (!reg.operators.some((o) => o.id === m)) ctx.addIssue({ code: 'custom', path: ['dutyGroups', i, 'members', j], message: `no operator "${m}"` });
      });
    });
    const receiverIds = (list: readonly { id: string }[], path: (string | number)[]) => {
      const ids = new Set<string>();
      list.forEach((r, j) => {
        if (ids.has(r.id)) ctx.addIssue({ code: 'custom', path: [...path, j, 'id'], message: `duplicate receiver "${r.id}"` });
        ids.add(r.id);
      });
    };
    reg.operators.forEach((o, i) => receiverIds(o.receivers ?? [], ['operators', i, 'receivers']));
    (reg.dutyGroups ?? []).forEach((g, i) => receiverIds(g.receivers, ['dutyGroups', i, 'receivers']));
    const models = new Map<string, DeviceModel>();
    for (const [i, m] of (reg.models ?? []).entries()) {
      if (models.has(m.id)) ctx.addIssue({ code: 'custom', path: ['models', i, 'id'], message: `duplicate model id "${m.id}"` });
      models.set(m.id, m);
    }
    for (const [i, d] of reg.devices.entries()) {
      if (d.model === undefined) continue;
      const m = models.get(d.model);
      if (m === undefined) ctx.addIssue({ code: 'custom', path: ['devices', i, 'model'], message: `unknown model "${d.model}"` });
      else if (m.kind !== d.kind) ctx.addIssue({ code: 'custom', path: ['devices', i, 'model'], message: `model "${m.id}" is for ${m.kind} devices, not ${d.kind}` });
    }
  });
export type RegistryFile = z.infer<typeof RegistryFileSchema>;
