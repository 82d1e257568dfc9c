import { z } from 'zod';

/**
 * Identifiers travel inside MQTT topic levels and Kafka keys, so they are restricted to
 * characters that are safe in both: no '/', '+', '#', ':' or whitespace.
 */
export const IdSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_.-]+$/, 'only letters, digits, "_", "." and "-"');

export const DeviceKindSchema = z.enum(['river_gauge', 'air_monitor', 'fire_sensor', 'port_device']);
export type DeviceKind = z.infer<typeof DeviceKindSchema>;
export const DEVICE_KINDS = DeviceKindSchema.options;

/** Millisecond Unix epoch timestamps everywhere on the bus. */
export const EpochMsSchema = z.number().int().nonnegative();
