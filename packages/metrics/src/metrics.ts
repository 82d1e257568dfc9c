import { AggregatorRegistry, Counter, Gauge, Histogram, Registry, collectDefaultMetrics, type MetricObjectWithValues, type MetricValue } from 'prom-client';

/** Seconds buckets for things that take about a millisecond (an fsync'd append, a PUBACK). */
export const FAST_SECONDS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Seconds buckets for one rule evaluation (tens of microseconds). */
export const EVAL_SECONDS = [0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05];
/** Seconds buckets for an operator acknowledging an alert (escalation times are 5, 15 and 60 minutes). */
export const ACK_SECONDS = [10, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400];

/** Seconds buckets for one notification delivery (an HTTP call to a chat robot, an SMTP send; minutes with retries). */
export const DELIVERY_SECONDS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600];

export interface MetricsOptions {
  /** The process's service name (`ganzhi` for the all-in-one): a label on every series. */
  readonly service: string;
  /** Node.js process metrics (CPU, memory, event loop lag, GC, handles); default true. */
  readonly processMetrics?: boolean;
}

/** Another thread's series, as its registry's `getMetricsAsJSON()` gives them. */
export type ThreadMetricsSource = () => Promise<unknown[]>;

export type LagSource = () => Promise<readonly { group: string; topic: string; lag: number }[]>;

/**
 * Every metric a Ganzhi process exposes, on a registry of its own (one per process, passed down
 * through deps: no module-level default registry). Names follow the Prometheus conventions:
 * `ganzhi_` prefix, base units (seconds, bytes), `_total` counters.
 */
export function createMetrics(options: MetricsOptions) {
  const registry = new Registry();
  registry.setDefaultLabels({ service: options.service });
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const lagSources: LagSource[] = [];
  const openAlertSources: Array<() => Iterable<{ level: string; category?: string | undefined }>> = [];
  let diskSource: (() => { areas: Record<string, number>; freeBytes: number; ingestAllowed: boolean } | undefined) | undefined;
  let busSource: (() => { recordsSkipped: number; recordsLostToRetention: number } | undefined) | undefined;
  let notifyOutboxSource: (() => Iterable<{ receiverType: string; status: string }>) | undefined;
  let readyNow = false;
  const threadSources: ThreadMetricsSource[] = [];

  const m = {
    registry,
    /**
     * Series kept by another thread of this process (the gateway thread's own registry, made with
     * `processMetrics: false`): read at every scrape and summed with this registry's (a series
     * this thread never moved is zero here).
     */
    addThreadSource(source: ThreadMetricsSource): void {
      threadSources.push(source);
    },
    /** The Prometheus text of this process: this registry's series and every thread's. */
    async exposition(): Promise<{ contentType: string; text: string }> {
      if (threadSources.length === 0) return { contentType: registry.contentType, text: await registry.metrics() };
      const parts = await Promise.all([registry.getMetricsAsJSON(), ...threadSources.map((s) => s())]);
      return { contentType: registry.contentType, text: await AggregatorRegistry.aggregate(parts as MetricObjectWithValues<MetricValue<string>>[][]).metrics() };
    },
    info: new Gauge({ name: 'ganzhi_info', help: 'Always 1; labels name the service and the version.', labelNames: ['version'], registers }),
    ready: new Gauge({ name: 'ganzhi_ready', help: '1 when this process is ready (bus, store and listeners up, store reachable), else 0.', registers, collect() { this.set(readyNow ? 1 : 0); } }),

    // --- MQTT gateway ---
    mqttConnections: new Gauge({ name: 'ganzhi_mqtt_connections', help: 'Authenticated MQTT connections open now, by role.', labelNames: ['role'], registers }),
    mqttConnectRefused: new Counter({ name: 'ganzhi_mqtt_connect_refused_total', help: 'MQTT CONNECTs refused, by reason (bad_credentials: CONNACK 4; unavailable: CONNACK 3).', labelNames: ['reason'], registers }),
    mqttPublishes: new Counter({ name: 'ganzhi_mqtt_publishes_total', help: 'MQTT PUBLISHes from clients, by result (accepted, forbidden, too_large, bus_error).', labelNames: ['result'], registers }),
    mqttSubscribeRefused: new Counter({ name: 'ganzhi_mqtt_subscribe_refused_total', help: 'MQTT subscriptions refused (SUBACK 0x80).', registers }),
    mqttPubackSeconds: new Histogram({ name: 'ganzhi_mqtt_puback_seconds', help: 'Time from a PUBLISH being authorized to its PUBACK (the bus append), seconds.', buckets: FAST_SECONDS, registers }),
    mqttAlertsDelivered: new Counter({ name: 'ganzhi_mqtt_alerts_delivered_total', help: 'Alert changes published to operators over MQTT.', registers }),

    // --- bus ---
    busAppendSeconds: new Histogram({ name: 'ganzhi_bus_append_seconds', help: 'Time for a bus publish to become durable, by topic, seconds.', labelNames: ['topic'], buckets: FAST_SECONDS, registers }),
    busAppendedRecords: new Counter({ name: 'ganzhi_bus_appended_records_total', help: 'Records appended to the bus by this process, by topic.', labelNames: ['topic'], registers }),
    busAppendedBytes: new Counter({ name: 'ganzhi_bus_appended_bytes_total', help: 'Bytes of record values appended to the bus by this process (JSON), by topic.', labelNames: ['topic'], registers }),
    busPublishFailures: new Counter({ name: 'ganzhi_bus_publish_failures_total', help: 'Bus publishes that failed, by topic.', labelNames: ['topic'], registers }),
    consumerLag: new Gauge({
      name: 'ganzhi_bus_consumer_lag',
      help: 'Records a consumer group has not yet handled, by group and topic (embedded: its live consumers; Kafka: committed offsets vs. high watermarks).',
      labelNames: ['group', 'topic'],
      registers,
      async collect() {
        this.reset();
        for (const source of lagSources) {
          for (const l of await source().catch(() => [])) this.set({ group: l.group, topic: l.topic }, l.lag);
        }
      },
    }),

    // --- stages ---
    stageRecords: new Counter({ name: 'ganzhi_stage_records_total', help: 'Records handled by a stage (its consumer group), by stage and topic.', labelNames: ['stage', 'topic'], registers }),
    stageBatchSeconds: new Histogram({ name: 'ganzhi_stage_batch_seconds', help: 'Time a stage takes to handle one batch, outputs durable, by stage and topic, seconds.', labelNames: ['stage', 'topic'], buckets: FAST_SECONDS, registers }),
    stageFailures: new Counter({ name: 'ganzhi_stage_batch_failures_total', help: 'Batches a stage failed to handle (retried or dead-lettered), by stage and topic.', labelNames: ['stage', 'topic'], registers }),
    deadLetters: new Counter({ name: 'ganzhi_dead_letters_total', help: 'Records sent to the dead-letter topic by this process, by stage and error code.', labelNames: ['stage', 'code'], registers }),

    // --- store ---
    storeWrittenRows: new Counter({ name: 'ganzhi_store_written_total', help: 'Rows written to the store, by table (readings, alert_events).', labelNames: ['table'], registers }),
    storeWriteSeconds: new Histogram({ name: 'ganzhi_store_write_seconds', help: 'Time for one store write to become durable, by table, seconds.', labelNames: ['table'], buckets: FAST_SECONDS, registers }),
    storeWriteFailures: new Counter({ name: 'ganzhi_store_write_failures_total', help: 'Store writes that failed, by table.', labelNames: ['table'], registers }),
    storeUp: new Gauge({ name: 'ganzhi_store_up', help: '1 when the store answered its last write or probe, 0 when it failed.', registers }),

    // --- rules and alerts ---
    ruleEvaluationSeconds: new Histogram({ name: 'ganzhi_rule_evaluation_seconds', help: 'Time to evaluate every rule of a device against one reading (or one sweep tick), seconds.', labelNames: ['trigger'], buckets: EVAL_SECONDS, registers }),
    signals: new Counter({ name: 'ganzhi_rule_signals_total', help: 'Rule verdicts published, by action (raise, clear) and level.', labelNames: ['action', 'level'], registers }),
    alertsRaised: new Counter({ name: 'ganzhi_alerts_raised_total', help: 'Alerts raised, by level.', labelNames: ['level'], registers }),
    alertChanges: new Counter({ name: 'ganzhi_alert_changes_total', help: 'Alert state changes, by level, event (raised, upgraded, acknowledged…) and status after it.', labelNames: ['level', 'event', 'status'], registers }),
    escalations: new Counter({ name: 'ganzhi_alert_escalations_total', help: 'Alerts re-notified because nobody acknowledged them in time, by level.', labelNames: ['level'], registers }),
    ackSeconds: new Histogram({ name: 'ganzhi_alert_acknowledge_seconds', help: 'Time from an alert opening to its acknowledgement, by level, seconds.', labelNames: ['level'], buckets: ACK_SECONDS, registers }),
    openAlerts: new Gauge({
      name: 'ganzhi_alerts_open',
      help: 'Alerts not yet closed, by level (held by this alert manager).',
      labelNames: ['level'],
      registers,
      collect() {
        if (openAlertSources.length === 0) return;
        const counts: Record<string, number> = { blue: 0, yellow: 0, orange: 0, red: 0 };
        for (const source of openAlertSources) for (const a of source()) counts[a.level] = (counts[a.level] ?? 0) + 1;
        for (const [level, n] of Object.entries(counts)) this.set({ level }, n);
      },
    }),
    silentDevices: new Gauge({
      name: 'ganzhi_devices_silent',
      help: 'Devices with an open offline (absence) alert: silent beyond their reporting interval.',
      registers,
      collect() {
        if (openAlertSources.length === 0) return;
        let n = 0;
        for (const source of openAlertSources) for (const a of source()) if (a.category === 'offline') n++;
        this.set(n);
      },
    }),
    dataBytes: new Gauge({
      name: 'ganzhi_data_bytes',
      help: 'Bytes on disk per area of the data directory (bus state, bus topics, store).',
      labelNames: ['area'],
      registers,
      collect() {
        const d = diskSource?.();
        if (d) for (const [area, bytes] of Object.entries(d.areas)) this.set({ area }, bytes);
      },
    }),
    diskFree: new Gauge({
      name: 'ganzhi_disk_free_bytes',
      help: 'Free bytes on the data volume.',
      registers,
      collect() {
        const d = diskSource?.();
        if (d) this.set(d.freeBytes);
      },
    }),
    ingestAllowed: new Gauge({
      name: 'ganzhi_ingest_allowed',
      help: '1 while ingest is allowed, 0 below the free-space floor (publishes refused without a PUBACK).',
      registers,
      collect() {
        const d = diskSource?.();
        if (d) this.set(d.ingestAllowed ? 1 : 0);
      },
    }),
    busRecordsLost: new Gauge({
      name: 'ganzhi_bus_records_lost',
      help: 'Embedded bus records lost since start: corrupt (skipped in the middle of a segment, bytes quarantined) or retention (deleted before a consumer group read them).',
      labelNames: ['reason'],
      registers,
      collect() {
        const b = busSource?.();
        if (!b) return;
        this.set({ reason: 'corrupt' }, b.recordsSkipped);
        this.set({ reason: 'retention' }, b.recordsLostToRetention);
      },
    }),
    commandResults: new Counter({ name: 'ganzhi_command_results_total', help: 'Operator commands answered, by action and outcome (ok, or the refusal code).', labelNames: ['action', 'outcome'], registers }),

    // --- notifier ---
    notifyCreated: new Counter({ name: 'ganzhi_notify_notifications_total', help: 'Notifications put in the outbox (one per alert change or group, per receiver), by receiver type.', labelNames: ['receiver_type'], registers }),
    notifyAttempts: new Counter({ name: 'ganzhi_notify_attempts_total', help: 'Delivery attempts, by receiver type and outcome (ok, error).', labelNames: ['receiver_type', 'outcome'], registers }),
    notifyRetries: new Counter({ name: 'ganzhi_notify_retries_total', help: 'Failed delivery attempts that will be tried again, by receiver type.', labelNames: ['receiver_type'], registers }),
    notifyDeliveries: new Counter({ name: 'ganzhi_notify_deliveries_total', help: 'Notifications done, by receiver type and outcome (delivered, failed: refused or out of attempts).', labelNames: ['receiver_type', 'outcome'], registers }),
    notifyAttemptSeconds: new Histogram({ name: 'ganzhi_notify_attempt_seconds', help: 'Time of one delivery attempt (HTTP request or SMTP send), by receiver type and outcome, seconds.', labelNames: ['receiver_type', 'outcome'], buckets: DELIVERY_SECONDS, registers }),
    notifyDeliverySeconds: new Histogram({ name: 'ganzhi_notify_delivery_seconds', help: 'Time from a notification entering the outbox to its delivery, retries included, by receiver type, seconds.', labelNames: ['receiver_type'], buckets: DELIVERY_SECONDS, registers }),
    notifyOutboxPending: new Gauge({
      name: 'ganzhi_notify_outbox_pending',
      help: 'Notifications in the outbox not yet delivered nor given up, by receiver type (a receiver that is down shows here).',
      labelNames: ['receiver_type'],
      registers,
      collect() {
        if (!notifyOutboxSource) return;
        const counts: Record<string, number> = { webhook: 0, wecom: 0, dingtalk: 0, feishu: 0, email: 0 };
        for (const e of notifyOutboxSource()) if (e.status === 'pending') counts[e.receiverType] = (counts[e.receiverType] ?? 0) + 1;
        for (const [type, n] of Object.entries(counts)) this.set({ receiver_type: type }, n);
      },
    }),

    /** Adds a consumer-lag source (a bus's `lag()`); read at every scrape. */
    addLagSource(source: LagSource): void {
      lagSources.push(source);
    },
    /** Adds a view of the open alerts an alert manager holds; read at every scrape. */
    addOpenAlertsSource(source: () => Iterable<{ level: string; category?: string | undefined }>): void {
      openAlertSources.push(source);
    },
    /** The disk watch's latest snapshot; read at every scrape. */
    setDiskSource(source: () => { areas: Record<string, number>; freeBytes: number; ingestAllowed: boolean } | undefined): void {
      diskSource = source;
    },
    /** The embedded bus's loss counters; read at every scrape. */
    setBusLossSource(source: () => { recordsSkipped: number; recordsLostToRetention: number } | undefined): void {
      busSource = source;
    },
    /** The notifier's outbox (receiver type and status of each entry); read at every scrape. */
    setNotifyOutboxSource(source: () => Iterable<{ receiverType: string; status: string }>): void {
      notifyOutboxSource = source;
    },
    setReady(ready: boolean): void {
      readyNow = ready;
    },
  };
  return m;
}

export type Metrics = ReturnType<typeof createMetrics>;
