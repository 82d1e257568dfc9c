import { z } from 'zod';
import { envBool, envCron, envInt, envPort, envString, loadConfig, type Env } from '@ganzhi/config';
import { GatewayConfigSchema, checkListeners, envListenPort } from '@ganzhi/gateway';
import { NotifierSettingsSchema } from '@ganzhi/notifier';
import { ApiHttpConfigShape, checkApiHttp } from '@ganzhi/api';
import { DEFAULT_RULES_DIR, RuntimeConfigSchema, checkRuntime } from '@ganzhi/runtime';

/** Configuration of the all-in-one process (`npm start`); every variable is documented in the README. */
export const PipelineConfigSchema = GatewayConfigSchema.extend(RuntimeConfigSchema.shape)
  .extend({
    GANZHI_MQTT_HOST: envString('127.0.0.1').describe('address every listener binds to (MQTT, WebSocket, TLS and the HTTP API): loopback by default; 0.0.0.0 opens them to the network'),
    GANZHI_HTTP_PORT: envPort(8080).describe("operators' HTTP API port (0 = any free port)"),
    // The quick start listens for the demo registry's non-MQTT devices too (the gateway alone does not).
    GANZHI_HJ212_PORT: envListenPort(6212).describe('HJ 212 over TCP listener port, or "off" (0 = any free port; the gateway alone defaults to off)'),
    GANZHI_SL651_PORT: envListenPort(6651).describe('SL 651 (HEX and ASCII mode) over TCP listener port, or "off" (the gateway alone defaults to off)'),
    GANZHI_GBT26875_TCP_PORT: envListenPort(6875).describe('GB/T 26875.3 over TCP listener port, or "off" (the gateway alone defaults to off)'),
    GANZHI_GBT26875_UDP_PORT: envListenPort(6875).describe('GB/T 26875.3 over UDP listener port, or "off" (the gateway alone defaults to off)'),
    GANZHI_RULES_DIR: envString(DEFAULT_RULES_DIR).describe('directory of rule files (*.json)'),
    GANZHI_RULES_SWEEP_CRON: envCron('*/10 * * * * *').describe('node-cron schedule of the absence / composite-window sweep'),
    GANZHI_ALERTS_SWEEP_CRON: envCron('*/15 * * * * *').describe('node-cron schedule of the escalation sweep'),
    GANZHI_AUDIT_CHECKPOINT_CRON: envCron('*/10 * * * * *').describe("node-cron schedule of audit checkpoints: the devices' signed chain heads to the bus and to <data>/audit/checkpoints.ndjson"),
    GANZHI_GATEWAY_THREAD: envBool(true).describe(
      "the MQTT gateway (Aedes, its sockets and PUBACKs, the protocol listeners) on a worker thread of its own beside the bus, the stages and the store, so that the process uses two cores (1.5-1.7x the sustained ingest; no more CPU at city rates); a PUBACK still follows the record's durable append. false: one event loop for everything",
    ),
    GANZHI_SILENCE_MAX_MINUTES: envInt(7 * 24 * 60, 1, 366 * 24 * 60).describe('longest silence a supervisor may set (admins are not limited)'),
    ...ApiHttpConfigShape,
  })
  .extend(NotifierSettingsSchema.shape)
  .superRefine((c, ctx) => {
    checkRuntime(c, ctx);
    checkListeners(c, ctx);
    checkApiHttp(c, ctx);
  });
export type PipelineConfig = z.infer<typeof PipelineConfigSchema>;

export const loadPipelineConfig = (env: Env) => loadConfig(PipelineConfigSchema, env);
