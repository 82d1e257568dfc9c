import { describe, expect, it } from 'vitest';
import {
  alertHistorySql,
  countSql,
  createAlertEventsSql,
  createReadingsSql,
  latestSql,
  quoteLiteral,
  rangeSql,
  sampleStride,
  tableNames,
  timestampLiteral,
  walStatusSql,
} from './sql';

const t = tableNames('g1_');

describe('QuestDB SQL generation', () => {
  it('prefixes both table names and refuses a prefix that could break out of an identifier', () => {
    expect(t).toEqual({ readings: 'g1_readings', alertEvents: 'g1_alert_events' });
    expect(tableNames()).toEqual({ readings: 'readings', alertEvents: 'alert_events' });
    for (const bad of ['a;drop', 'x y', "q'", 'a-b', 'é']) {
      expect(() => tableNames(bad)).toThrow(expect.objectContaining({ code: 'GANZHI_ERR_CFG_INVALID' }));
    }
  });

  it('quotes string literals by doubling single quotes, leaving backslashes alone', () => {
    expect(quoteLiteral('pm25')).toBe("'pm25'");
    expect(quoteLiteral("O'Brien")).toBe("'O''Brien'");
    expect(quoteLiteral("'; DROP TABLE readings; --")).toBe("'''; DROP TABLE readings; --'");
    expect(quoteLiteral('a\\b')).toBe("'a\\b'");
    expect(quoteLiteral('')).toBe("''");
    expect(() => quoteLiteral('a\u0000b')).toThrow(expect.objectContaining({ code: 'GANZHI_ERR_STORE_QUERY' }));
  });

  it('renders instants as microsecond ISO literals', () => {
    expect(timestampLiteral(0)).toBe("'1970-01-01T00:00:00.000000Z'");
    expect(timestampLiteral(1_700_000_000_123)).toBe("'2023-11-14T22:13:20.123000Z'");
    for (const bad of [-1, 1.5, Number.NaN, 253_402_300_800_000]) {
      expect(() => timestampLiteral(bad)).toThrow(expect.objectContaining({ code: 'GANZHI_ERR_STORE_QUERY' }));
    }
  });

  it('creates WAL tables partitioned by day with symbols and dedup keys including the designated timestamp', () => {
    const readings = createReadingsSql(t);
    expect(readings).toMatch(/^CREATE TABLE IF NOT EXISTS g1_readings \(/);
    expect(readings).toMatch(/TIMESTAMP\(ts\) PARTITION BY DAY WAL\s+DEDUP UPSERT KEYS\(ts, device_id, metric\)$/);
    for (const col of ['device_id', 'kind', 'site', 'metric', 'unit', 'quality']) expect(readings).toMatch(new RegExp(`\\b${col} SYMBOL\\b`));
    expect(readings).toMatch(/\bvalue DOUBLE\b/);

    const alerts = createAlertEventsSql(t);
    expect(alerts).toMatch(/^CREATE TABLE IF NOT EXISTS g1_alert_events \(/);
    expect(alerts).toMatch(/TIMESTAMP\(ts\) PARTITION BY DAY WAL\s+DEDUP UPSERT KEYS\(ts, alert_id, seq\)$/);
    expect(alerts).toMatch(/\balert_id VARCHAR\b/);
    expect(alerts).toMatch(/\bseq LONG\b/);
    expect(alerts).toMatch(/\bchange_json VARCHAR\b/);
    expect(alerts).not.toMatch(/;/);
  });

  it('asks for the latest row per (device, metric) with LATEST ON after the filters', () => {
    expect(latestSql(t)).toBe(
      'SELECT ts, device_id, kind, site, metric, value, unit, quality FROM g1_readings LATEST ON ts PARTITION BY device_id, metric',
    );
    expect(latestSql(t, { deviceId: 'rg-1', kind: 'river_gauge', metric: "it's" })).toBe(
      "SELECT ts, device_id, kind, site, metric, value, unit, quality FROM g1_readings WHERE device_id = 'rg-1' AND kind = 'river_gauge' AND metric = 'it''s' LATEST ON ts PARTITION BY device_id, metric",
    );
  });

  it('expresses bucket widths as SAMPLE BY strides in the largest exact unit', () => {
    expect(sampleStride(86_400_000)).toBe('1d');
    expect(sampleStride(7_200_000)).toBe('2h');
    expect(sampleStride(420_000)).toBe('7m');
    expect(sampleStride(90_000)).toBe('90s');
    expect(sampleStride(1_500)).toBe('1500T');
    expect(sampleStride(604_800_000)).toBe('7d'); // never 'w', which aligns to weeks
    for (const bad of [0, -60_000, 1.5, Number.POSITIVE_INFINITY]) {
      expect(() => sampleStride(bad)).toThrow(expect.objectContaining({ code: 'GANZHI_ERR_STORE_QUERY' }));
    }
  });

  it('samples a range over [from, to) aligned to the epoch with an explicit zero offset', () => {
    const sql = rangeSql(t, { deviceId: 'rg-1', metric: 'water_level', from: 60_000, to: 240_000, bucketMs: 60_000 });
    expect(sql).toBe(`SELECT ts, avg(value) v_avg, min(value) v_min, max(value) v_max, last(value) v_last, count() n
FROM g1_readings
WHERE device_id = 'rg-1' AND metric = 'water_level'
  AND ts >= '1970-01-01T00:01:00.000000Z' AND ts < '1970-01-01T00:04:00.000000Z'
SAMPLE BY 1m ALIGN TO CALENDAR WITH OFFSET '00:00'`);
    expect(() => rangeSql(t, { deviceId: 'd', metric: 'm', from: -5, to: 10, bucketMs: 1000 })).toThrow(
      expect.objectContaining({ code: 'GANZHI_ERR_STORE_QUERY' }),
    );
  });

  it('orders alert history by event time, alert id and seq, selecting the newest rows for a limit', () => {
    expect(alertHistorySql(t)).toBe('SELECT ts, alert_id, seq, change_json FROM g1_alert_events ORDER BY ts, alert_id, seq');
    expect(alertHistorySql(t, { alertId: "a'1", deviceId: 'fs-1', from: 0, to: 1000, limit: 5 })).toBe(
      "SELECT ts, alert_id, seq, change_json FROM g1_alert_events WHERE alert_id = 'a''1' AND device_id = 'fs-1' AND ts >= '1970-01-01T00:00:00.000000Z' AND ts < '1970-01-01T00:00:01.000000Z' ORDER BY ts DESC, alert_id DESC, seq DESC LIMIT 5",
    );
    expect(() => alertHistorySql(t, { limit: -1 })).toThrow(expect.objectContaining({ code: 'GANZHI_ERR_STORE_QUERY' }));
  });

  it('counts readings, optionally for one device, and reads WAL progress of named tables', () => {
    expect(countSql(t)).toBe('SELECT count() n FROM g1_readings');
    expect(countSql(t, 'am-1')).toBe("SELECT count() n FROM g1_readings WHERE device_id = 'am-1'");
    expect(walStatusSql(['g1_readings', 'g1_alert_events'])).toBe(
      "SELECT name, suspended, writerTxn, sequencerTxn FROM wal_tables() WHERE name = 'g1_readings' OR name = 'g1_alert_events'",
    );
  });
});
