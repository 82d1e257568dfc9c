import { describe, expect, it } from 'vitest';
import { silentLogger } from '@ganzhi/log';
import type { Logger } from '@ganzhi/log';
import { effectiveLayout, reportMismatches } from './topics';

/** A logger that keeps its warn/error lines. */
function recording(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  const base = silentLogger();
  const log = Object.assign(Object.create(base) as Logger, {
    warn: (_o: unknown, msg?: string) => void lines.push(`warn ${msg ?? String(_o)}`),
    error: (_o: unknown, msg?: string) => void lines.push(`error ${msg ?? String(_o)}`),
  });
  return { log, lines };
}

describe('effectiveLayout', () => {
  it('defaults to three replicas on a cluster of three or more, without a warning', () => {
    const { log, lines } = recording();
    expect(effectiveLayout({ hasController: true, brokerCount: 5 }, { partitions: 12, replicationFactor: undefined, minInsyncReplicas: 2 }, log)).toEqual({ replicationFactor: 3, minInsyncReplicas: 2 });
    expect(lines).toEqual([]);
  });

  it('works on one broker, and warns that a single copy is kept', () => {
    const { log, lines } = recording();
    expect(effectiveLayout({ hasController: true, brokerCount: 1 }, { partitions: 12, replicationFactor: undefined, minInsyncReplicas: undefined }, log)).toEqual({ replicationFactor: 1, minInsyncReplicas: undefined });
    expect(lines.join('\n')).toMatch(/one replica/);
  });

  it('names a replication factor and min.insync.replicas the cluster cannot meet, and uses what it can', () => {
    const { log, lines } = recording();
    expect(effectiveLayout({ hasController: true, brokerCount: 2 }, { partitions: 12, replicationFactor: 3, minInsyncReplicas: 3 }, log)).toEqual({ replicationFactor: 2, minInsyncReplicas: 2 });
    expect(lines.join('\n')).toMatch(/KAFKA_REPLICATION_FACTOR 3 cannot be met by 2 broker/);
    expect(lines.join('\n')).toMatch(/KAFKA_MIN_INSYNC_REPLICAS 3 cannot be met with 2 replica/);
  });
});

describe('reportMismatches', () => {
  it('warns about a partition count and stops start-up on a state log that is not compacted, naming both', () => {
    const { log, lines } = recording();
    const run = () =>
      reportMismatches(
        [
          { topic: 'ganzhi.readings.v1', setting: 'partitions', expected: '12', actual: '4', fatal: false },
          { topic: 'ganzhi.state.rules', setting: 'cleanup.policy', expected: 'compact', actual: 'delete', fatal: true },
        ],
        log,
      );
    expect(run).toThrow(expect.objectContaining({ code: 'GANZHI_ERR_BUS_TOPIC_MISMATCH', message: expect.stringMatching(/ganzhi\.state\.rules: cleanup\.policy is delete, expected compact/) }));
    expect(lines).toEqual([
      'warn kafka topic ganzhi.readings.v1: partitions is 4, expected 12',
      'error kafka topic ganzhi.state.rules: cleanup.policy is delete, expected compact',
    ]);
  });

  it('passes when nothing differs', () => {
    expect(() => reportMismatches([], silentLogger())).not.toThrow();
  });
});
