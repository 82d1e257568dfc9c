import { z } from 'zod';
import { envInt, envPort, envString, loadConfig, type Env } from '@ganzhi/config';
import { GatewayConfigSchema, checkListeners } from '@ganzhi/gateway';
import { DEFAULT_RULES_DIR, RuntimeConfigSchema, checkRuntime } from '@ganzhi/runtime';

/** Configuration of the all-in-one process (`npm start`); every variable is documented in the README. */
export const PipelineConfigSchema = GatewayConfigSchema.extend(RuntimeConfigSchema.shape)
  .extend({
    GANZHI_MQTT_HOST: envString('127.0.0.1').describe('address every listener binds to (MQTT, WebSocket, TLS and the HTTP API): loopback by default; 0.0.0.0 opens them to the network'),
    GANZHI_HTTP_PORT: envPort(8080).describe("operators' HTTP API port (0 = any free port)"),
    GANZHI_RULES_DIR: envString(DEFAULT_RULES_DIR).describe('directory of rule files (*.json)'),
    GANZHI_RULES_SWEEP_CRON: z.string().default('*/10 * * * * *').describe('node-cron schedule of the absence / composite-window sweep'),
    GANZHI_ALERTS_SWEEP_CRON: z.string().default('*/15 * * * * *').describe('node-cron schedule of the escalation sweep'),
    GANZHI_AUDIT_CHECKPOINT_CRON: z.string().default('*/10 * * * * *').describe("node-cron schedule of audit checkpoints: the devices' signed chain heads to the bus and to <data>/audit/checkpoints.ndjson"),
    GANZHI_SILENCE_MAX_MINUTES: envInt(7 * 24 * 60, 1, 366 * 24 * 60).describe('longest silence a supervisor may set (admins are not limited)'),
  })
  .superRefine((c, ctx) => {
    checkRuntime(c, ctx);
    checkListeners(c, ctx);
  });
export type PipelineConfig = z.infer<typeof PipelineConfigSchema>;

export const loadPipelineConfig = (env: Env) => loadConfig(PipelineConfigSchema, env);
