import { readFileSync, readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { redAlertThrough, startAllInOne, type AllInOne } from './helpers/all-in-one';
import { collect, connect, end, publish, subscribe } from './helpers/mqtt';
import { eventually } from './helpers/pipeline';
import { REPO_ROOT } from './helpers/process';
import { metricNames, scrape, type Scrape } from './helpers/prom';

/**
 * Prometheus metrics of a running pipeline (the all-in-one process, as `npm start` runs it),
 * read from its ops listener with an npm Prometheus text-format parser; then the Grafana
 * dashboards and the Prometheus rules are checked against the metric names it exposes.
 */
let aio: AllInOne;
let after: Scrape;
const metricsUrl = () => `http://127.0.0.1:${aio.opsPort}/metrics`;

beforeAll(async () => {
  aio = await startAllInOne();
});
afterAll(async () => {
  await aio?.stop();
});

describe('/metrics of a running pipeline', () => {
  it('serves liveness and readiness beside /metrics', async () => {
    expect((await aio.ops('/healthz')).status).toBe(200);
    const ready = await aio.ops('/readyz');
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ service: 'ganzhi', ready: true, checks: { started: true, store: true } });
    expect((await aio.ops('/nope')).status).toBe(404);
  });

  it('counts a red alert, its acknowledgement, a dead letter and a refused CONNECT, with the expected labels', async () => {
    const before = await scrape(metricsUrl());
    expect(before.value('ganzhi_alerts_raised_total', { level: 'red' }) ?? 0).toBe(0);
    const url = `mqtt://127.0.0.1:${aio.mqttPort}`;

    const alert = await redAlertThrough(aio.mqttPort);
    expect(alert.level).toBe('red');

    // a dead letter: the JSON device sends something that is not JSON
    const gauge = await connect(url, 'gauge-001');
    await publish(gauge, 'devices/gauge-001/telemetry', 'waterLevel=15.5 {');
    // a refused CONNECT
    await expect(connect(url, 'gauge-001', 'wrong-password')).rejects.toThrow();
    // the duty operator acknowledges the alert over MQTT and reads the verdict
    const operator = await connect(url, 'op-alice');
    await subscribe(operator, 'ops/op-alice/replies');
    const replies = collect(operator, (all) => all.length > 0, 30_000);
    await publish(operator, 'ops/commands', JSON.stringify({ alertId: alert.alertId, action: 'acknowledge' }));
    expect(JSON.parse((await replies)[0]!.payload)).toMatchObject({ ok: true });

    after = await eventually(
      async () => {
        const s = await scrape(metricsUrl());
        const done =
          s.value('ganzhi_dead_letters_total', { stage: 'normalizer', code: 'GANZHI_ERR_NORM_NOT_JSON' }) === 1 &&
          s.value('ganzhi_command_results_total', { action: 'acknowledge', outcome: 'ok' }) === 1 &&
          (s.value('ganzhi_store_written_total', { table: 'alert_events' }) ?? 0) >= 2 &&
          // readings reach the store in write groups (GANZHI_DUCKDB_LINGER_MS): wait for one
          (s.value('ganzhi_store_written_total', { table: 'readings' }) ?? 0) >= 1;
        return done && s;
      },
      60_000,
      'the counters to move',
    );
    const s = after;
    // MQTT
    expect(s.value('ganzhi_mqtt_connections', { role: 'operator' })).toBe(1);
    expect(s.value('ganzhi_mqtt_connections', { role: 'device' })).toBe(1);
    expect(s.value('ganzhi_mqtt_connect_refused_total', { reason: 'bad_credentials' })).toBe(1);
    expect(s.value('ganzhi_mqtt_publishes_total', { result: 'accepted' })).toBeGreaterThanOrEqual(3);
    expect(s.value('ganzhi_mqtt_puback_seconds_count')).toBeGreaterThanOrEqual(3);
    expect(s.find('ganzhi_mqtt_puback_seconds_bucket').map((b) => b.labels?.le)).toEqual(expect.arrayContaining(['0.005', '0.1', '+Inf']));
    expect(s.value('ganzhi_mqtt_alerts_delivered_total')).toBeGreaterThanOrEqual(2);
    // bus
    expect(s.value('ganzhi_bus_append_seconds_count', { topic: 'ganzhi.raw.v1' })).toBe(2);
    expect(s.value('ganzhi_bus_appended_records_total', { topic: 'ganzhi.commands.v1' })).toBe(1);
    expect(s.value('ganzhi_bus_appended_records_total', { topic: 'ganzhi.deadletter.v1' })).toBe(1);
    expect(s.value('ganzhi_bus_log_bytes_total')).toBeGreaterThan(0);
    for (const [group, topic] of [['normalizer', 'ganzhi.raw.v1'], ['rules', 'ganzhi.readings.v1'], ['writer', 'ganzhi.readings.v1'], ['alerts', 'ganzhi.signals.v1']]) {
      expect(s.value('ganzhi_bus_consumer_lag', { group: group!, topic: topic! }), `${group} lag on ${topic}`).toBeGreaterThanOrEqual(0);
    }
    // stages
    expect(s.value('ganzhi_stage_records_total', { stage: 'normalizer', topic: 'ganzhi.raw.v1' })).toBeGreaterThanOrEqual(2);
    expect(s.value('ganzhi_stage_records_total', { stage: 'alerts', topic: 'ganzhi.commands.v1' })).toBe(1);
    expect(s.value('ganzhi_dead_letters_total', { stage: 'normalizer', code: 'GANZHI_ERR_NORM_NOT_JSON' })).toBe(1);
    // store
    expect(s.value('ganzhi_store_written_total', { table: 'readings' })).toBeGreaterThanOrEqual(1);
    expect(s.value('ganzhi_store_write_seconds_count', { table: 'readings' })).toBeGreaterThanOrEqual(1);
    expect(s.value('ganzhi_store_up')).toBe(1);
    // disk and what the bus lost (both zero here, but present: the disk watch and the bus report them)
    expect(s.value('ganzhi_data_bytes', { area: 'store' })).toBeGreaterThan(0);
    expect(s.value('ganzhi_disk_free_bytes')).toBeGreaterThan(0);
    expect(s.value('ganzhi_ingest_allowed')).toBe(1);
    expect(s.value('ganzhi_bus_records_lost', { reason: 'corrupt' })).toBe(0);
    expect(s.value('ganzhi_bus_records_lost', { reason: 'retention' })).toBe(0);
    // rules and alerts
    expect(s.value('ganzhi_rule_evaluation_seconds_count', { trigger: 'reading' })).toBeGreaterThanOrEqual(1);
    expect(s.value('ganzhi_rule_signals_total', { action: 'raise', level: 'red' })).toBe(1);
    expect(s.value('ganzhi_alerts_raised_total', { level: 'red' })).toBe(1);
    expect(s.value('ganzhi_alert_changes_total', { level: 'red', event: 'acknowledged', status: 'acknowledged' })).toBe(1);
    expect(s.value('ganzhi_alerts_open', { level: 'red' })).toBe(1);
    expect(s.value('ganzhi_alerts_open', { level: 'blue' })).toBe(0);
    expect(s.value('ganzhi_alert_acknowledge_seconds_count', { level: 'red' })).toBe(1);
    expect(s.value('ganzhi_alert_acknowledge_seconds_bucket', { level: 'red', le: '+Inf' })).toBe(1);
    expect(s.families.get('ganzhi_alert_escalations_total')?.type).toBe('COUNTER');
    expect(s.value('ganzhi_command_results_total', { action: 'acknowledge', outcome: 'ok' })).toBe(1);
    // process
    expect(s.value('ganzhi_ready')).toBe(1);
    expect(s.value('process_cpu_seconds_total')).toBeGreaterThan(0);
    expect(s.families.get('nodejs_eventloop_lag_seconds')?.type).toBe('GAUGE');
    // every series carries the service label
    expect(s.find('ganzhi_info')[0]?.labels).toMatchObject({ service: 'ganzhi' });
    await end(gauge, operator);
  });

  it('names every series by the Prometheus conventions', () => {
    for (const f of after.families.values()) {
      if (!f.name.startsWith('ganzhi_')) continue;
      if (f.type === 'COUNTER') expect(f.name, 'counters end in _total').toMatch(/_total$/);
      else expect(f.name, `${f.type} must not end in _total`).not.toMatch(/_total$/);
      if (f.type === 'HISTOGRAM') expect(f.name, 'histograms are in base units').toMatch(/_(seconds|bytes)$/);
      expect(f.name).not.toMatch(/_(ms|milliseconds|kb|mb)(_|$)/);
      expect(f.help.length).toBeGreaterThan(10);
    }
  });
});

interface Panel {
  title?: string;
  type?: string;
  datasource?: { uid?: string };
  targets?: Array<{ expr?: string; rawSql?: string; datasource?: { uid?: string } }>;
  panels?: Panel[];
}

const dashboardsDir = `${REPO_ROOT}deploy/grafana/dashboards`;
const dashboards = readdirSync(dashboardsDir).filter((f) => f.endsWith('.json'));

describe('Grafana dashboards (deploy/grafana)', () => {
  const datasources = (parseYaml(readFileSync(`${REPO_ROOT}deploy/grafana/provisioning/datasources/ganzhi.yaml`, 'utf8')) as { datasources: Array<{ uid: string; type: string }> }).datasources;
  const provider = (parseYaml(readFileSync(`${REPO_ROOT}deploy/grafana/provisioning/dashboards/ganzhi.yaml`, 'utf8')) as { providers: Array<{ type: string; options: { path: string } }> }).providers;

  it('are provisioned: a Prometheus data source, an optional QuestDB one (PostgreSQL wire), a file provider', () => {
    expect(datasources.map((d) => [d.uid, d.type])).toEqual([['prometheus', 'prometheus'], ['questdb', 'grafana-postgresql-datasource']]);
    expect(provider[0]).toMatchObject({ type: 'file' });
    expect(dashboards.sort()).toEqual(['ganzhi-alerts.json', 'ganzhi-devices.json', 'ganzhi-pipeline.json']);
  });

  it.each(dashboards)('%s parses and queries only metrics /metrics exposes', (file) => {
    const dash = JSON.parse(readFileSync(`${dashboardsDir}/${file}`, 'utf8')) as { uid: string; title: string; panels: Panel[]; templating: { list: Array<{ definition?: string }> } };
    expect(dash.uid).toMatch(/^ganzhi-/);
    const panels: Panel[] = [];
    const walk = (ps: Panel[]) => ps.forEach((p) => (panels.push(p), walk(p.panels ?? [])));
    walk(dash.panels);
    expect(panels.length).toBeGreaterThan(5);
    const uids = new Set(datasources.map((d) => d.uid));
    let queries = 0;
    for (const p of panels) {
      for (const t of p.targets ?? []) {
        expect(uids.has(t.datasource?.uid ?? p.datasource?.uid ?? ''), `${p.title}: data source is provisioned`).toBe(true);
        if (t.rawSql) {
          expect(t.rawSql, `${p.title}: QuestDB tables`).toMatch(/FROM (readings|alert_events)\b/);
          continue;
        }
        const names = metricNames(t.expr ?? '');
        expect(names.length, `${p.title}: ${t.expr}`).toBeGreaterThan(0);
        for (const n of names) expect(after.names.has(n), `${file} / ${p.title}: ${n} is not exposed by /metrics`).toBe(true);
        queries++;
      }
    }
    expect(queries).toBeGreaterThan(5);
    for (const v of dash.templating.list) {
      const m = /label_values\((\w+),/.exec(v.definition ?? '');
      if (m) expect(after.names.has(m[1]!)).toBe(true);
    }
  });

  it('cover pipeline health, alerts and devices', () => {
    const exprs = (file: string) => readFileSync(`${dashboardsDir}/${file}`, 'utf8');
    for (const n of ['ganzhi_bus_consumer_lag', 'ganzhi_dead_letters_total', 'ganzhi_mqtt_puback_seconds_bucket', 'ganzhi_stage_records_total', 'ganzhi_store_write_seconds_bucket']) expect(exprs('ganzhi-pipeline.json')).toContain(n);
    for (const n of ['ganzhi_alerts_open', 'ganzhi_alert_escalations_total', 'ganzhi_alert_acknowledge_seconds_bucket', 'ganzhi_alerts_raised_total']) expect(exprs('ganzhi-alerts.json')).toContain(n);
    for (const n of ['ganzhi_notify_deliveries_total', 'ganzhi_notify_retries_total', 'ganzhi_notify_outbox_pending', 'ganzhi_notify_delivery_seconds_bucket']) expect(exprs('ganzhi-alerts.json')).toContain(n);
    for (const n of ['ganzhi_mqtt_connections', 'ganzhi_devices_silent']) expect(exprs('ganzhi-devices.json')).toContain(n);
  });
});

describe('Prometheus rules for the platform (deploy/prometheus)', () => {
  const dir = `${REPO_ROOT}deploy/prometheus/rules`;
  const rules = readdirSync(dir)
    .filter((f) => f.endsWith('.yml'))
    .flatMap((f) => (parseYaml(readFileSync(`${dir}/${f}`, 'utf8')) as { groups: Array<{ rules: Array<{ alert: string; expr: string; for?: string; labels: Record<string, string> }> }> }).groups.flatMap((g) => g.rules));

  it('alert on consumer lag growing, dead letters spiking, the store unavailable and no ingest', () => {
    expect(rules.map((r) => r.alert)).toEqual(expect.arrayContaining(['GanzhiConsumerLagGrowing', 'GanzhiDeadLettersSpiking', 'GanzhiStoreUnavailable', 'GanzhiNoIngest', 'GanzhiNotificationsFailing', 'GanzhiNotificationsBacklog']));
    for (const r of rules) expect(['warning', 'critical']).toContain(r.labels.severity);
  });

  it('name only metrics /metrics exposes (or up, which Prometheus records per target)', () => {
    for (const r of rules) {
      const names = metricNames(r.expr);
      expect(names.length, r.alert).toBeGreaterThan(0);
      for (const n of names) expect(n === 'up' || after.names.has(n), `${r.alert}: ${n} is not exposed`).toBe(true);
    }
  });

  it('are loaded by the Prometheus config, which scrapes every service on its ops port', () => {
    const config = parseYaml(readFileSync(`${REPO_ROOT}deploy/prometheus/prometheus.yml`, 'utf8')) as { rule_files: string[]; scrape_configs: Array<{ static_configs: Array<{ targets: string[] }> }> };
    expect(config.rule_files).toContain('/etc/prometheus/rules/*.yml');
    const targets = config.scrape_configs.flatMap((c) => c.static_configs.flatMap((s) => s.targets));
    for (const svc of ['gateway-a', 'normalizer', 'rules', 'alerts', 'writer', 'api', 'notifier']) expect(targets).toContain(`${svc}:9464`);
  });
});
