import { hostname } from 'node:os';
import { z } from 'zod';
import { envInt, envPort, envString } from '@ganzhi/config';
import { RuntimeConfigSchema, checkRuntime } from '@ganzhi/runtime';

/** This service's configuration (distributed mode); documented in the README. */
export const ApiConfigSchema = RuntimeConfigSchema.extend({
  GANZHI_HTTP_HOST: envString('0.0.0.0').describe('address the HTTP API binds to'),
  GANZHI_HTTP_PORT: envPort(8080).describe("operators' HTTP API port"),
  GANZHI_SILENCE_MAX_MINUTES: envInt(7 * 24 * 60, 1, 366 * 24 * 60).describe('longest silence a supervisor may set (admins are not limited)'),
  GANZHI_INSTANCE_ID: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/).default(hostname().replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 64) || 'api'),
}).superRefine(checkRuntime);
