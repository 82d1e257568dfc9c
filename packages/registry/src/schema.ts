import { z } from 'zod';
import { DeviceKindSchema, IdSchema, PayloadFormatSchema } from '@ganzhi/schemas';
import { ROLES } from './policy';

/** A stored secret: `scrypt$<N>$<r>$<p>$<salt base64>$<hash base64>` (see secrets.ts). */
export const SecretHashSchema = z.string().regex(/^scrypt\$\d+\$\d+\$\d+\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/, 'must be an scrypt hash made by `npm run hash-secret`');

/** Per-device parameters that rules refer to by name, e.g. a gauge's own warning level. */
export const AttributesSchema = z.record(z.string().min(1).max(64), z.union([z.number().finite(), z.string(), z.boolean()]));

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
});
export type Operator = z.infer<typeof OperatorSchema>;

export const RegistryFileSchema = z
  .object({
    /** Marks a registry whose credentials are public (the shipped demo); logged loudly at start-up. */
    demo: z.boolean().default(false),
    devices: z.array(DeviceSchema).default([]),
    operators: z.array(OperatorSchema).default([]),
  })
  .superRefine((reg, ctx) => {
    const seen = new Set<string>();
    const all = [...reg.devices.map((d, i) => ['devices', i, d.id] as const), ...reg.operators.map((o, i) => ['operators', i, o.id] as const)];
    for (const [list, i, id] of all) {
      if (seen.has(id)) ctx.addIssue({ code: 'custom', path: [list, i, 'id'], message: `duplicate id "${id}" (device and operator ids share one namespace: they are MQTT usernames)` });
      seen.add(id);
    }
  });
export type RegistryFile = z.infer<typeof RegistryFileSchema>;
