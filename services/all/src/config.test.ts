import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isGanzhiError } from '@ganzhi/schemas';
import { retentionClasses } from '@ganzhi/runtime';
import { loadPipelineConfig } from './config';
import { configTable } from './config-docs';

describe('pipeline configuration', () => {
  it('runs the embedded pipeline when nothing is set', () => {
    const c = loadPipelineConfig({});
    expect(c).toMatchObject({ GANZHI_BUS: 'embedded', GANZHI_STORE: 'duckdb', GANZHI_MQTT_PORT: 1883, GANZHI_MQTT_WS_PORT: 8083, GANZHI_DATA_DIR: './data' });
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('reads retention as durations and the disk floor as a size', () => {
    const c = loadPipelineConfig({ GANZHI_RETENTION_RAW: '36h', GANZHI_RETENTION_ROLLUP_1M: '7d', GANZHI_DISK_MIN_FREE: '512MB' });
    expect(c).toMatchObject({ GANZHI_RETENTION_RAW: 36 * 3_600_000, GANZHI_RETENTION_ROLLUP_1M: 7 * 86_400_000, GANZHI_RETENTION_ROLLUP_1H: 1825 * 86_400_000, GANZHI_DISK_MIN_FREE: 512e6 });
    expect(loadPipelineConfig({}).GANZHI_DISK_MIN_FREE).toBe(1024 ** 3);
    expect(loadPipelineConfig({ GANZHI_STORE_MAINTENANCE_CRON: '' }).GANZHI_STORE_MAINTENANCE_CRON).toBe('');
  });

  it.each([
    [{ GANZHI_MQTT_PORT: 'abc' }, 'GANZHI_MQTT_PORT'],
    [{ GANZHI_MQTT_PORT: '70000' }, 'GANZHI_MQTT_PORT'],
    [{ GANZHI_BUS: 'rabbit' }, 'GANZHI_BUS'],
    [{ GANZHI_BUS: 'kafka' }, 'KAFKA_BROKERS'],
    [{ GANZHI_BUS_SYNC: 'sometimes' }, 'GANZHI_BUS_SYNC'],
    [{ GANZHI_GATEWAY_ID: 'has space' }, 'GANZHI_GATEWAY_ID'],
    [{ GANZHI_LOG_LEVEL: 'loud' }, 'GANZHI_LOG_LEVEL'],
    [{ GANZHI_ALERTS_SWEEP_CRON: 'every minute' }, 'GANZHI_ALERTS_SWEEP_CRON'],
    [{ GANZHI_RULES_SWEEP_CRON: '* * *' }, 'GANZHI_RULES_SWEEP_CRON'],
    [{ GANZHI_MQTT_DRAIN_TIMEOUT_MS: '0' }, 'GANZHI_MQTT_DRAIN_TIMEOUT_MS'],
    [{ GANZHI_AUTH_MAX_FAILURES_PER_ADDRESS: 'many' }, 'GANZHI_AUTH_MAX_FAILURES_PER_ADDRESS'],
    [{ GANZHI_BUS_RAW_RETENTION_BYTES: 'lots' }, 'GANZHI_BUS_RAW_RETENTION_BYTES'],
    [{ GANZHI_BUS_EVENTS_RETENTION_HOURS: '-1' }, 'GANZHI_BUS_EVENTS_RETENTION_HOURS'],
    [{ GANZHI_RETENTION_RAW: '90 days' }, 'GANZHI_RETENTION_RAW'],
    [{ GANZHI_RETENTION_RAW: '30s' }, 'GANZHI_RETENTION_RAW'],
    [{ GANZHI_RETENTION_RAW: '2000d' }, 'GANZHI_RETENTION_ROLLUP_1M'],
    [{ GANZHI_RETENTION_ROLLUP_1M: '10d', GANZHI_RETENTION_ROLLUP_1H: '9d', GANZHI_RETENTION_RAW: '1d' }, 'GANZHI_RETENTION_ROLLUP_1H'],
    [{ GANZHI_STORE_MAINTENANCE_CRON: 'every minute' }, 'GANZHI_STORE_MAINTENANCE_CRON'],
    [{ GANZHI_DISK_MIN_FREE: 'lots' }, 'GANZHI_DISK_MIN_FREE'],
    [{ GANZHI_DISK_WARN_PERCENT: '101' }, 'GANZHI_DISK_WARN_PERCENT'],
    // TLS: unreadable files, half a pair, plain listeners off without TLS, client certificates without a CA
    [{ GANZHI_TLS_CERT: '/nonexistent/server.crt', GANZHI_TLS_KEY: '/nonexistent/server.key' }, 'GANZHI_TLS_CERT'],
    [{ GANZHI_TLS_KEY: '/nonexistent/server.key' }, 'GANZHI_TLS_KEY'],
    [{ GANZHI_MQTT_PLAIN: 'false' }, 'GANZHI_MQTT_PLAIN'],
    [{ GANZHI_MQTT_CLIENT_CERT: 'required' }, 'GANZHI_TLS_CA'],
  ])('refuses %o with an error naming %s', (env, field) => {
    let caught: unknown;
    try {
      loadPipelineConfig(env);
    } catch (err) {
      caught = err;
    }
    expect(isGanzhiError(caught, 'GANZHI_ERR_CFG_INVALID')).toBe(true);
    expect((caught as Error).message).toContain(field);
  });

  it('takes an empty cron schedule as "off"', () => {
    const c = loadPipelineConfig({ GANZHI_RULES_SWEEP_CRON: '', GANZHI_ALERTS_SWEEP_CRON: '', GANZHI_AUDIT_CHECKPOINT_CRON: '' });
    expect([c.GANZHI_RULES_SWEEP_CRON, c.GANZHI_ALERTS_SWEEP_CRON, c.GANZHI_AUDIT_CHECKPOINT_CRON]).toEqual(['', '', '']);
  });

  it('reads retention sizes with units and maps the three topic classes onto the topics', () => {
    const c = loadPipelineConfig({ GANZHI_BUS_RAW_RETENTION_BYTES: '512MiB', GANZHI_BUS_RAW_RETENTION_HOURS: '12', GANZHI_BUS_DERIVED_RETENTION_BYTES: '1MB' });
    expect(c.GANZHI_BUS_RAW_RETENTION_BYTES).toBe(512 * 1024 * 1024);
    const classes = retentionClasses(c);
    expect(classes['ganzhi.raw.v1']).toEqual({ bytes: 512 * 1024 * 1024, ms: 12 * 3600_000 });
    expect(classes['ganzhi.readings.v1']?.bytes).toBe(1_000_000);
    expect(classes['ganzhi.alerts.v1']?.ms).toBe(90 * 24 * 3600_000);
  });

  it('is documented in the README exactly as the schema says (scripts/config-docs.ts regenerates it)', () => {
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    expect(readme).toContain(configTable());
  });
});
