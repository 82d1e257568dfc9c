import { describe, expect, it } from 'vitest';
import { alertChange } from '../contract-fixtures';
import { decodeExecResponse } from './http';
import {
  execRecords,
  parseTimestamp,
  sortAlertChanges,
  sortLatest,
  toAlertChange,
  toBucketRow,
  toCount,
  toReadingRow,
  toStoredAlertEvent,
  toWalStatus,
} from './parse';

/** A SELECT answer shaped like QuestDB's /exec documentation. */
function answer(columns: Array<[string, string]>, dataset: unknown[][]): string {
  return JSON.stringify({
    query: 'SELECT …',
    columns: columns.map(([name, type]) => ({ name, type })),
    timestamp: 0,
    dataset,
    count: dataset.length,
  });
}

describe('/exec response decoding', () => {
  it('turns columns and dataset into records by column name', () => {
    const text = answer(
      [
        ['ts', 'TIMESTAMP'],
        ['device_id', 'SYMBOL'],
        ['kind', 'SYMBOL'],
        ['site', 'SYMBOL'],
        ['metric', 'SYMBOL'],
        ['value', 'DOUBLE'],
        ['unit', 'SYMBOL'],
        ['quality', 'SYMBOL'],
      ],
      [['2023-11-14T22:13:20.123000Z', 'rg-1', 'river_gauge', null, 'flow', 1.5, 'm3/s', 'N']],
    );
    const [rec] = decodeExecResponse(200, text);
    expect(toReadingRow(rec ?? {})).toEqual({
      deviceId: 'rg-1',
      kind: 'river_gauge',
      site: null,
      metric: 'flow',
      ts: 1_700_000_000_123,
      value: 1.5,
      unit: 'm3/s',
      quality: 'N',
    });
  });

  it('reads timestamps with micro- or nanosecond fractions, none, or as epoch micros, truncating to ms', () => {
    expect(parseTimestamp('1970-01-01T00:00:00.000000Z')).toBe(0);
    expect(parseTimestamp('2023-11-14T22:13:20.123999Z')).toBe(1_700_000_000_123);
    expect(parseTimestamp('2023-11-14T22:13:20.123456789Z')).toBe(1_700_000_000_123);
    expect(parseTimestamp('2023-11-14T22:13:20Z')).toBe(1_700_000_000_000);
    expect(parseTimestamp('2023-11-14T22:13:20.5Z')).toBe(1_700_000_000_500);
    expect(parseTimestamp(1_700_000_000_123_456)).toBe(1_700_000_000_123);
    for (const bad of [null, '2023-11-14 22:13:20', 'yesterday', {}]) {
      expect(() => parseTimestamp(bad)).toThrow(expect.objectContaining({ code: 'GANZHI_ERR_STORE_QUERY' }));
    }
  });

  it('maps a SAMPLE BY row to a bucket and a count() row to a number, also when LONGs are quoted', () => {
    const [b] = execRecords(
      JSON.parse(
        answer(
          [
            ['ts', 'TIMESTAMP'],
            ['v_avg', 'DOUBLE'],
            ['v_min', 'DOUBLE'],
            ['v_max', 'DOUBLE'],
            ['v_last', 'DOUBLE'],
            ['n', 'LONG'],
          ],
          [['2024-01-01T00:07:00.000000Z', 20, 10, 30, 20, 3]],
        ),
      ),
    );
    expect(toBucketRow(b ?? {})).toEqual({ ts: Date.UTC(2024, 0, 1, 0, 7), avg: 20, min: 10, max: 30, last: 20, count: 3 });
    expect(toCount(decodeExecResponse(200, answer([['n', 'LONG']], [[42]])))).toBe(42);
    expect(toCount(decodeExecResponse(200, answer([['n', 'LONG']], [['9007199254740993']])))).toBe(9007199254740992);
    expect(toCount([])).toBe(0);
  });

  it('returns the stored alert change from change_json', () => {
    const c = alertChange('fs-1', 'fire_sensor', 10, { seq: 1, at: 10, type: 'raised', status: 'open' });
    expect(toAlertChange({ change_json: JSON.stringify(c) })).toEqual(c);
  });

  it('reads every alert column as QuestDB returns it, for the audit verifier', () => {
    const c = alertChange('fs-1', 'fire_sensor', 1_700_000_000_000, { seq: 2, at: 1_700_000_060_000, type: 'acknowledged', status: 'acknowledged', actor: 'op-li', reason: 'seen' });
    const row = {
      ts: '2023-11-14T22:14:20.000000Z',
      alert_id: c.alertId,
      seq: 2,
      device_id: 'fs-1',
      kind: 'fire_sensor',
      site: c.site ?? null,
      rule_id: c.ruleId,
      alert_level: c.level,
      status: 'acknowledged',
      condition: c.condition,
      event_type: 'acknowledged',
      from_level: null,
      actor: 'op-mallory', // edited in SQL
      reason: 'seen',
      value: c.value ?? null,
      threshold: c.threshold ?? null,
      message: c.message ?? null,
      assignee: null,
      opened_at: '2023-11-14T22:13:20.000000Z',
      change_json: JSON.stringify(c),
    };
    const e = toStoredAlertEvent(row);
    expect(e.change).toEqual(c);
    expect(e.columns).toMatchObject({ actor: 'op-mallory', eventAt: 1_700_000_060_000, openedAt: 1_700_000_000_000, fromLevel: null, assignee: null });
  });

  it('reads WAL status rows', () => {
    const recs = decodeExecResponse(
      200,
      answer(
        [
          ['name', 'STRING'],
          ['suspended', 'BOOLEAN'],
          ['writerTxn', 'LONG'],
          ['sequencerTxn', 'LONG'],
        ],
        [['p_readings', false, 4, 6]],
      ),
    );
    expect(recs.map(toWalStatus)).toEqual([{ name: 'p_readings', suspended: false, writerTxn: 4, sequencerTxn: 6 }]);
  });

  it('treats a DDL answer as no rows', () => {
    expect(decodeExecResponse(200, '{"ddl":"OK"}')).toEqual([]);
  });

  it('fails a bad statement with GANZHI_ERR_STORE_QUERY carrying QuestDB’s message and position', () => {
    const text = JSON.stringify({ query: 'SELECT * FROM nope', error: 'table does not exist [table=nope]', position: 14 });
    expect(() => decodeExecResponse(400, text)).toThrow(
      expect.objectContaining({ code: 'GANZHI_ERR_STORE_QUERY', message: expect.stringContaining('table does not exist [table=nope] (at 14)') }),
    );
    expect(() => decodeExecResponse(401, 'Unauthorized')).toThrow(expect.objectContaining({ code: 'GANZHI_ERR_STORE_QUERY', retryable: false }));
    expect(() => decodeExecResponse(200, 'not json')).toThrow(expect.objectContaining({ code: 'GANZHI_ERR_STORE_QUERY' }));
    expect(() => decodeExecResponse(200, JSON.stringify({ columns: [{ name: 'a' }], dataset: [[1, 2]] }))).toThrow(
      expect.objectContaining({ code: 'GANZHI_ERR_STORE_QUERY' }),
    );
  });

  it('fails a 5xx, 408 or 429 with the retryable GANZHI_ERR_STORE_UNAVAILABLE', () => {
    for (const status of [500, 503, 408, 429]) {
      expect(() => decodeExecResponse(status, 'busy')).toThrow(expect.objectContaining({ code: 'GANZHI_ERR_STORE_UNAVAILABLE', retryable: true }));
    }
  });
});

describe('result ordering', () => {
  it('sorts latest rows by device then metric in code-unit order', () => {
    const row = (deviceId: string, metric: string) => ({ deviceId, metric, kind: 'air_monitor' as const, site: null, ts: 0, value: 0, unit: '', quality: 'N' });
    const sorted = sortLatest([row('b', 'a'), row('a', 'z'), row('a', 'B'), row('A', 'a')]);
    expect(sorted.map((r) => `${r.deviceId}/${r.metric}`)).toEqual(['A/a', 'a/B', 'a/z', 'b/a']);
  });

  it('sorts alert changes by event time, then alert id, then seq', () => {
    const a = (dev: string, seq: number, at: number) => alertChange(dev, 'fire_sensor', 0, { seq, at, type: 'raised', status: 'open' });
    const sorted = sortAlertChanges([a('b', 1, 5), a('a', 2, 5), a('a', 1, 5), a('z', 1, 1)]);
    expect(sorted.map((c) => `${c.deviceId}#${c.seq}@${c.event.at}`)).toEqual(['z#1@1', 'a#1@5', 'a#2@5', 'b#1@5']);
  });
});
