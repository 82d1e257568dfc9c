import { hostname } from 'node:os';
import { z } from 'zod';
import { envCron } from '@ganzhi/config';
import { RuntimeConfigSchema, checkRuntime } from '@ganzhi/runtime';

/** This service's configuration (distributed mode); documented in the README. */
export const AlertsConfigSchema = RuntimeConfigSchema.extend({
  GANZHI_ALERTS_SWEEP_CRON: envCron('*/15 * * * * *').describe('node-cron schedule of the escalation sweep'),
  GANZHI_AUDIT_CHECKPOINT_CRON: envCron('*/10 * * * * *').describe("node-cron schedule of audit checkpoints: the devices' signed chain heads to the bus and to <data>/audit/checkpoints.ndjson"),
  GANZHI_INSTANCE_ID: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/).default(hostname().replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 64) || 'alerts'),
}).superRefine(checkRuntime);
