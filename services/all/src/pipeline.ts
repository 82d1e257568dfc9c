import { buildApi, type Api, type ApiOptions } from '@ganzhi/api';
import type { Bus } from '@ganzhi/bus';
import type { AlertsCore } from '@ganzhi/alerts';
import { buildAlertsService, type AlertsService } from '@ganzhi/alerts-service';
import { buildGateway, type Gateway, type GatewayConfig } from '@ganzhi/gateway';
import type { Logger } from '@ganzhi/log';
import { buildNormalizer, type Normalizer } from '@ganzhi/normalizer';
import type { Registry } from '@ganzhi/registry';
import type { RuleEngine, RuleFile } from '@ganzhi/rules';
import { buildRulesService, type RulesService } from '@ganzhi/rules-service';
import type { Store } from '@ganzhi/store';
import { buildWriter, type Writer } from '@ganzhi/writer';

export interface PipelineDeps {
  bus: Bus;
  store: Store;
  registry: Registry;
  engine: RuleEngine;
  alerts: AlertsCore;
  logger: Logger;
  /** The rule files behind `engine`: the API draws their thresholds on device charts. */
  ruleFiles?: readonly RuleFile[];
  now?: () => number;
}

export interface PipelineOptions {
  rulesSweepCron?: string;
  alertsSweepCron?: string;
  /** HTTP API port; undefined = no API. */
  httpPort?: number;
  /** The API's HTTPS, session and console settings. */
  api?: Pick<ApiOptions, 'tls' | 'sessionSecret' | 'sessionTtlMs' | 'consoleDir' | 'mqtt'>;
}

export interface Pipeline {
  start(): Promise<void>;
  close(): Promise<void>;
  readonly gateway: Gateway;
  readonly normalizer: Normalizer;
  readonly rules: RulesService;
  readonly alerts: AlertsService;
  readonly writer: Writer;
  readonly api: Api | undefined;
  stats(): Record<string, unknown>;
}

/**
 * Every stage in one process, on whatever bus and store it is given. The stages only meet
 * through the bus: this is the same wiring the separate services use in distributed mode.
 */
export async function buildPipeline(config: GatewayConfig, deps: PipelineDeps, options: PipelineOptions = {}): Promise<Pipeline> {
  const { bus, logger } = deps;
  const now = deps.now ?? Date.now;
  const writer = buildWriter({ bus, store: deps.store, logger });
  const normalizer = buildNormalizer({ bus, registry: deps.registry, logger });
  const rules = buildRulesService(
    { bus, registry: deps.registry, engine: deps.engine, logger, now },
    options.rulesSweepCron === undefined ? {} : { sweepCron: options.rulesSweepCron },
  );
  const alerts = buildAlertsService(
    { bus, core: deps.alerts, logger, now },
    { instanceId: config.GANZHI_GATEWAY_ID, ...(options.alertsSweepCron === undefined ? {} : { sweepCron: options.alertsSweepCron }) },
  );
  const gateway = await buildGateway(config, { bus, registry: deps.registry, logger, now });
  const stats = () => ({
    gateway: gateway.stats(),
    normalizer: normalizer.stats(),
    rules: rules.stats(),
    alerts: alerts.stats(),
    writer: writer.stats(),
    memory: process.memoryUsage(),
  });
  const api =
    options.httpPort === undefined
      ? undefined
      : buildApi(
          { host: config.GANZHI_MQTT_HOST, port: options.httpPort, instanceId: config.GANZHI_GATEWAY_ID, mqtt: { port: () => gateway.ports().ws }, ...options.api },
          { store: deps.store, registry: deps.registry, bus, logger, stats, now, accepted: () => gateway.stats().accepted, ...(deps.ruleFiles ? { ruleFiles: deps.ruleFiles } : {}) },
        );
  // Downstream first, so that the gateway only accepts devices once everything behind it runs.
  const order = [writer, normalizer, rules, alerts, ...(api ? [api] : []), gateway];
  return {
    gateway,
    normalizer,
    rules,
    alerts,
    writer,
    api,
    stats,
    async start() {
      for (const s of order) await s.start();
    },
    async close() {
      for (const s of [...order].reverse()) await s.close();
    },
  };
}
