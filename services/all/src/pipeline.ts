import { buildApi, type Api, type ApiOptions } from '@ganzhi/api';
import type { Bus } from '@ganzhi/bus';
import { join } from 'node:path';
import type { AlertsCore, AuditKeyring } from '@ganzhi/alerts';
import { buildAlertsService, type AlertsService } from '@ganzhi/alerts-service';
import { buildGateway, buildGatewayThread, type GatewayConfig, type GatewayHandle } from '@ganzhi/gateway';
import type { Logger } from '@ganzhi/log';
import type { Metrics } from '@ganzhi/metrics';
import { buildNormalizer, type Normalizer } from '@ganzhi/normalizer';
import { buildNotifier, createSender, notifierOptions, prepareNotifier, type Notifier, type NotifierSettings } from '@ganzhi/notifier';
import type { Registry } from '@ganzhi/registry';
import type { RuleEngine, RuleFile } from '@ganzhi/rules';
import { buildRulesService, type RulesService } from '@ganzhi/rules-service';
import type { DiskWatch, StoreMaintenance } from '@ganzhi/runtime';
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
  /** This process's metrics (the gateway's and the alert manager's own series go there). */
  metrics?: Metrics;
  /** Disk watch: bytes per area in stats, and the gateway's free-space floor. */
  disk?: DiskWatch;
  /** Store rollups and retention on a schedule, beside the writer. */
  maintenance?: StoreMaintenance;
  /** The audit keyring (the alerts core must hash with the same one). */
  keyring?: AuditKeyring;
}

export interface PipelineOptions {
  rulesSweepCron?: string;
  alertsSweepCron?: string;
  /** node-cron expression of audit checkpoints; '' disables the schedule (tests call checkpoint()). */
  checkpointCron?: string;
  /** The data directory: audit checkpoints go to `<dataDir>/audit/checkpoints.ndjson`. */
  dataDir?: string;
  /** Longest silence below admin, in minutes. */
  silenceMaxMinutes?: number;
  /** HTTP API port; undefined = no API. */
  httpPort?: number;
  /** The notifier's settings (routing file, templates, SMTP…) and the env its secrets come from; undefined = no notifier. */
  notify?: { settings: NotifierSettings; env: Readonly<Record<string, string | undefined>>; tickMs?: number };
  /**
   * The gateway on a thread of its own (GANZHI_GATEWAY_THREAD), loading the registry from this
   * file (the one `deps.registry` was loaded from); `onExit` hears of the thread ending unasked.
   */
  gatewayThread?: { registryFile: string; onExit?: (err: Error) => void };
  /** The API's HTTPS, session and console settings. */
  api?: Pick<ApiOptions, 'tls' | 'sessionSecret' | 'sessionTtlMs' | 'consoleDir' | 'mqtt'>;
}

export interface Pipeline {
  start(): Promise<void>;
  close(): Promise<void>;
  readonly gateway: GatewayHandle;
  readonly normalizer: Normalizer;
  readonly rules: RulesService;
  readonly alerts: AlertsService;
  readonly writer: Writer;
  readonly api: Api | undefined;
  readonly notifier: Notifier | undefined;
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
    { bus, core: deps.alerts, logger, now, registry: deps.registry, metrics: deps.metrics, ...(deps.keyring ? { keyring: deps.keyring } : {}) },
    {
      instanceId: config.GANZHI_GATEWAY_ID,
      ...(options.alertsSweepCron === undefined ? {} : { sweepCron: options.alertsSweepCron }),
      ...(options.checkpointCron === undefined ? {} : { checkpointCron: options.checkpointCron }),
      ...(options.dataDir === undefined ? {} : { checkpointFile: join(options.dataDir, 'audit', 'checkpoints.ndjson') }),
    },
  );
  const notify = options.notify;
  const notifySetup = notify ? await prepareNotifier(notify.settings, deps.registry, notify.env) : undefined;
  const notifier = notify
    ? buildNotifier(
        {
          bus,
          logger,
          now,
          metrics: deps.metrics,
          setup: notifySetup!,
          sender: createSender({ timeoutMs: notify.settings.GANZHI_NOTIFY_TIMEOUT_MS, smtpUrl: notifySetup!.smtpUrl, from: notify.settings.GANZHI_NOTIFY_SMTP_FROM }),
        },
        { ...notifierOptions(notify.settings), ...(notify.tickMs === undefined ? {} : { tickMs: notify.tickMs }) },
      )
    : undefined;
  const gateway: GatewayHandle = options.gatewayThread
    ? await buildGatewayThread(config, {
        bus,
        logger,
        registryFile: options.gatewayThread.registryFile,
        ...(deps.metrics ? { metrics: deps.metrics } : {}),
        ...(deps.disk ? { ingestGate: deps.disk } : {}),
        ...(options.gatewayThread.onExit ? { onExit: options.gatewayThread.onExit } : {}),
      })
    : await buildGateway(config, { bus, registry: deps.registry, logger, now, metrics: deps.metrics, ...(deps.disk ? { ingestGate: deps.disk } : {}) });
  if (deps.disk) deps.metrics?.setDiskSource(() => deps.disk!.snapshot());
  if ('stats' in bus && typeof bus.stats === 'function') deps.metrics?.setBusLossSource(() => (bus.stats as () => { recordsSkipped: number; recordsLostToRetention: number })());
  const stats = () => ({
    gateway: gateway.stats(),
    normalizer: normalizer.stats(),
    rules: rules.stats(),
    alerts: alerts.stats(),
    writer: writer.stats(),
    ...(notifier ? { notifier: notifier.stats() } : {}),
    // the embedded bus's counters: group commits, and what recovery skipped and kept
    bus: 'stats' in bus && typeof bus.stats === 'function' ? (bus.stats as () => unknown)() : undefined,
    ...(deps.maintenance ? { storeMaintenance: deps.maintenance.stats() } : {}),
    ...(deps.disk ? { disk: deps.disk.snapshot() } : {}),
    memory: process.memoryUsage(),
  });
  const api =
    options.httpPort === undefined
      ? undefined
      : buildApi(
          {
            host: config.GANZHI_MQTT_HOST,
            port: options.httpPort,
            instanceId: config.GANZHI_GATEWAY_ID,
            mqtt: { port: () => gateway.ports().ws },
            ...options.api,
            ...(options.silenceMaxMinutes === undefined ? {} : { silenceMaxMinutes: options.silenceMaxMinutes }),
          },
          {
            store: deps.store,
            registry: deps.registry,
            bus,
            logger,
            stats,
            now,
            accepted: () => gateway.stats().accepted,
            ...(deps.ruleFiles ? { ruleFiles: deps.ruleFiles } : {}),
            ...(deps.keyring ? { keyring: deps.keyring } : {}),
            ...(notifier ? { notifications: (id: string) => notifier.notifications(id) } : {}),
          },
        );
  // Downstream first, so that the gateway only accepts devices once everything behind it runs.
  const order = [
    ...(deps.disk ? [deps.disk] : []),
    writer,
    ...(deps.maintenance ? [deps.maintenance] : []),
    normalizer,
    rules,
    alerts,
    ...(notifier ? [notifier] : []),
    ...(api ? [api] : []),
    gateway,
  ];
  return {
    gateway,
    normalizer,
    rules,
    alerts,
    writer,
    api,
    notifier,
    stats,
    async start() {
      for (const s of order) await s.start();
    },
    async close() {
      for (const s of [...order].reverse()) await s.close();
    },
  };
}
