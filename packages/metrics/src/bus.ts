import { Counter } from 'prom-client';
import type { BatchHandler, Bus, BusRecord } from '@ganzhi/bus';
import { isRetryable, type AlertChange, type CommandResult, type DeadLetter, type Signal, type TopicName, type TopicValue } from '@ganzhi/schemas';
import { overlay } from './delegate';
import type { LagSource, Metrics } from './metrics';

/** What a bus may offer beyond the `Bus` contract: consumer lag, byte counters (embedded log), requests by API (Kafka). */
export interface ObservableBus extends Bus {
  lag?: LagSource;
  stats?: () => unknown;
}

/**
 * The bus with its traffic measured: append latency and records per topic, handled records and
 * batch time per stage (consumer group), and what the records say once they are durable (dead
 * letters by stage and code, alert changes, escalations, command results, rule verdicts). The
 * stages are unchanged: they get this bus instead of the plain one.
 */
export function instrumentBus<B extends ObservableBus>(bus: B, metrics: Metrics): B {
  if (bus.lag) metrics.addLagSource(bus.lag.bind(bus));
  const bytesSource = () => {
    const s = bus.stats?.() as { bytes?: unknown } | undefined;
    return typeof s?.bytes === 'number' ? s.bytes : undefined;
  };
  if (bytesSource() !== undefined) {
    let seen = 0;
    metrics.registry.registerMetric(
      new Counter({
        name: 'ganzhi_bus_log_bytes_total',
        help: 'Bytes appended to the embedded log files (frames, state logs included).',
        registers: [],
        collect() {
          const now = bytesSource() ?? seen;
          if (now > seen) this.inc(now - seen);
          seen = now;
        },
      }),
    );
  }

  const requestsSource = () => {
    const r = (bus.stats?.() as { requests?: unknown } | undefined)?.requests;
    return typeof r === 'object' && r !== null ? (r as Readonly<Record<string, number>>) : undefined;
  };
  if (requestsSource() !== undefined) {
    const seen = new Map<string, number>();
    metrics.registry.registerMetric(
      new Counter({
        name: 'ganzhi_bus_kafka_requests_total',
        help: 'Requests this process sent to the Kafka brokers, by API (Produce, Fetch, OffsetCommit, Heartbeat...): its round trips, to compare with the records it handled.',
        labelNames: ['api'],
        registers: [],
        collect() {
          for (const [api, n] of Object.entries(requestsSource() ?? {})) {
            const before = seen.get(api) ?? 0;
            if (n > before) this.inc({ api }, n - before);
            seen.set(api, n);
          }
        },
      }),
    );
  }

  // Labelled children looked up once per topic, not hashed again on every call.
  const appendOf = new Map<string, { seconds: ReturnType<Metrics['busAppendSeconds']['labels']>; records: ReturnType<Metrics['busAppendedRecords']['labels']> }>();
  const publish = async <N extends TopicName>(topic: N, records: readonly BusRecord<TopicValue<N>>[]): Promise<void> => {
    let children = appendOf.get(topic);
    if (!children) appendOf.set(topic, (children = { seconds: metrics.busAppendSeconds.labels({ topic }), records: metrics.busAppendedRecords.labels({ topic }) }));
    const end = children.seconds.startTimer();
    try {
      await bus.publish(topic, records);
    } catch (err) {
      metrics.busPublishFailures.inc({ topic });
      throw err;
    }
    end();
    children.records.inc(records.length);
    observeRecords(metrics, topic, records);
  };

  const subscribe: Bus['subscribe'] = (group, handlers, options) => {
    const wrapped: Record<string, BatchHandler<TopicName>> = {};
    for (const [topic, handler] of Object.entries(handlers) as [TopicName, BatchHandler<TopicName>][]) {
      const labels = { stage: group, topic };
      const batchSeconds = metrics.stageBatchSeconds.labels(labels);
      const handled = metrics.stageRecords.labels(labels);
      wrapped[topic] = async (batch) => {
        const end = batchSeconds.startTimer();
        try {
          await handler(batch);
        } catch (err) {
          metrics.stageFailures.inc(labels);
          // the bus sends each record of the batch to the dead-letter topic (see BatchHandler)
          if (!isRetryable(err)) metrics.deadLetters.inc({ stage: group, code: (err as { code?: string }).code ?? 'GANZHI_ERR_UNKNOWN' }, batch.length);
          throw err;
        }
        end();
        handled.inc(batch.length);
      };
    }
    return bus.subscribe(group, wrapped as unknown as typeof handlers, options);
  };

  return overlay(bus, { publish, subscribe });
}

function observeRecords(metrics: Metrics, topic: TopicName, records: readonly BusRecord<unknown>[]): void {
  switch (topic) {
    case 'ganzhi.deadletter.v1':
      for (const { value } of records as BusRecord<DeadLetter>[]) metrics.deadLetters.inc({ stage: value.stage, code: value.code });
      return;
    case 'ganzhi.signals.v1':
      for (const { value } of records as BusRecord<Signal>[]) metrics.signals.inc({ action: value.state, level: value.level ?? '' });
      return;
    case 'ganzhi.command-results.v1':
      for (const { value } of records as BusRecord<CommandResult>[]) {
        metrics.commandResults.inc({ action: value.action ?? 'unknown', outcome: value.ok ? 'ok' : (value.code ?? 'refused') });
      }
      return;
    case 'ganzhi.alerts.v1':
      for (const { value } of records as BusRecord<AlertChange>[]) observeAlertChange(metrics, value);
      return;
    default:
  }
}

export function observeAlertChange(metrics: Metrics, change: AlertChange): void {
  const { level, status, event } = change;
  metrics.alertChanges.inc({ level, event: event.type, status });
  if (event.type === 'raised') metrics.alertsRaised.inc({ level });
  else if (event.type === 'escalated') metrics.escalations.inc({ level });
  else if (event.type === 'acknowledged') metrics.ackSeconds.observe({ level }, Math.max(0, event.at - change.openedAt) / 1000);
}
