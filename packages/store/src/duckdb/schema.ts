import { BATCH_JSON_SHAPE } from './batch-json';

/**
 * The DuckDB table layout. Created on open (idempotently), so a fresh file and a reopened one
 * look the same.
 *
 * readings — one row per (device, metric, instant); a re-write of the same key replaces the row.
 *   device_id VARCHAR    the Reading's deviceId
 *   kind      VARCHAR    device kind (river_gauge | air_monitor | fire_sensor | port_device)
 *   site      VARCHAR    nullable
 *   metric    VARCHAR    the key in Reading.metrics
 *   ts        TIMESTAMP  the Reading's ts (ms precision; read back with epoch_ms(ts))
 *   value     DOUBLE
 *   unit      VARCHAR
 *   quality   VARCHAR    HJ 212 flag (N, F, M, S, D, C, T, B)
 *   PRIMARY KEY (device_id, metric, ts)
 *
 * alert_events — one row per alert state change; (alert_id, seq) identifies it.
 *   alert_id, seq INTEGER, device_id, kind, site, rule_id, level, status, condition,
 *   event_type, actor, event_at TIMESTAMP, reason, from_level, value DOUBLE, threshold DOUBLE,
 *   message, assignee, opened_at TIMESTAMP — the change flattened for SQL by operators;
 *   change JSON — the whole AlertChange as published, which is what alertHistory returns.
 *   PRIMARY KEY (alert_id, seq)
 *
 * Readings go in through DuckDB's Appender, a group per transaction (readings-writer.ts); a group
 * the Appender refuses because a key exists already goes in as one JSON text (batch-json.ts)
 * bound to UPSERT_JSON, which unpacks it with from_json: INSERT OR REPLACE … SELECT.
 */
export const CREATE_TABLES = [
  `CREATE TABLE IF NOT EXISTS readings (
    device_id VARCHAR NOT NULL,
    kind      VARCHAR NOT NULL,
    site      VARCHAR,
    metric    VARCHAR NOT NULL,
    ts        TIMESTAMP NOT NULL,
    value     DOUBLE NOT NULL,
    unit      VARCHAR NOT NULL,
    quality   VARCHAR NOT NULL,
    PRIMARY KEY (device_id, metric, ts)
  )`,
  `CREATE TABLE IF NOT EXISTS alert_events (
    alert_id   VARCHAR NOT NULL,
    seq        INTEGER NOT NULL,
    device_id  VARCHAR NOT NULL,
    kind       VARCHAR NOT NULL,
    site       VARCHAR,
    rule_id    VARCHAR NOT NULL,
    level      VARCHAR NOT NULL,
    status     VARCHAR NOT NULL,
    condition  VARCHAR NOT NULL,
    event_type VARCHAR NOT NULL,
    actor      VARCHAR NOT NULL,
    event_at   TIMESTAMP NOT NULL,
    reason     VARCHAR,
    from_level VARCHAR,
    value      DOUBLE,
    threshold  DOUBLE,
    message    VARCHAR,
    assignee   VARCHAR,
    opened_at  TIMESTAMP NOT NULL,
    change     JSON NOT NULL,
    PRIMARY KEY (alert_id, seq)
  )`,
] as const;

/** Rows of the JSON batch bound to $1, in the column order of readings. */
const JSON_ROWS = `SELECT device_id, kind, site, unnest(m), make_timestamp_ms(ts), unnest(v), unnest(u), unnest(q)
  FROM (
    SELECT unnest(j.d) AS device_id, unnest(j.k) AS kind, unnest(j.s) AS site, unnest(j.t) AS ts,
           unnest(j.m) AS m, unnest(j.v) AS v, unnest(j.u) AS u, unnest(j.q) AS q
    FROM (SELECT from_json($1::VARCHAR, '${BATCH_JSON_SHAPE}') AS j)
  )`;
/** Groups that touch existing keys (re-delivery, corrections): last write wins. */
export const UPSERT_JSON = `INSERT OR REPLACE INTO readings ${JSON_ROWS}`;
