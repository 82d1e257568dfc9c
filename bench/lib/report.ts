import type { AlertLatencyResult } from '../scenarios/alerts';
import type { ConnectionsResult } from '../scenarios/connections';
import type { FaultPhase } from '../scenarios/faults';
import type { CityRow } from '../scenarios/city';
import type { CostResult } from '../scenarios/cost';
import type { Hj212Result } from '../scenarios/hj212';
import type { IngestResult } from '../scenarios/ingest';
import type { MicroResult } from '../scenarios/micro';
import type { ProfileResult } from '../scenarios/profile';
import { sustained } from '../scenarios/measure';
import { formatSoak, type SoakResult } from '../scenarios/soak';
import { formatStorePairs, type StorePairsResult } from '../scenarios/store';

/** Everything one `npm run bench` measured (also what --json writes). */
export interface BenchReport {
  machine: { cpu: string; cores: number; node: string; kernel: string; loadavgAtStart: string; date: string };
  config: { devices: number; window: number; workers: number; settleMs: number; windowMs: number; refRate: number; quick: boolean; sections: string[] };
  ingest: IngestResult[];
  /** HJ 212 over TCP beside MQTT JSON, closed loop on one pipeline. */
  hj212?: Hj212Result;
  kafka?: { peer?: string; skipped?: string; cost?: CostResult[] };
  /** CPU of the whole process at the rates cities run at, pipeline beside bare Aedes. */
  city?: CityRow[];
  /** The batching windows the city rows ran with. */
  cityWindows?: { busLingerMs: number; duckdbLingerMs: number };
  alerts?: AlertLatencyResult[];
  faults?: FaultPhase[];
  connections?: ConnectionsResult[];
  micro?: { results: MicroResult[]; error?: string };
  profile?: ProfileResult | { skipped: string };
  soak?: SoakResult;
  /** Our store writers beside the raw clients on the same table shape. */
  store?: StorePairsResult;
  notes: string[];
  seconds: number;
}

/** A plain-text table: first row is the header, columns right-aligned except the first. */
export function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows
    .map((r, i) => {
      const line = r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ');
      return i === 0 ? `${line}\n${widths.map((w) => '-'.repeat(w)).join('  ')}` : line;
    })
    .join('\n');
}

const n0 = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? '-' : Math.round(v).toLocaleString('en-US'));
const n1 = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? '-' : v.toFixed(1));
const n2 = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? '-' : v.toFixed(2));
const ratio = (v: number | undefined, base: number | undefined) => (v === undefined || !base ? '-' : `${(v / base).toFixed(2)}x`);

export function ingestTable(results: readonly IngestResult[], refRate: number): string {
  const rate = (name: string) => results.find((r) => r.target === name)?.sustained?.acked;
  const cpuPerMsg = (r: IngestResult) => (r.ref && r.ref.acked > 0 ? (r.ref.targetCpu / r.ref.acked) * 1e6 : undefined);
  const aedes = results.find((r) => r.target === 'bare Aedes');
  const rows = [
    [
      'target',
      'sustained msg/s',
      'vs Aedes',
      'vs Mosq',
      'found by',
      'PUBACK p50/p99 ms',
      'stored/s',
      'CPU target/load/other',
      'RSS MB (peak)',
      `@${n0(refRate)}/s p50/p99 ms`,
      'CPU us/msg',
      'vs Aedes',
    ],
  ];
  for (const r of results) {
    const s = r.sustained;
    const cpm = cpuPerMsg(r);
    rows.push([
      r.target,
      n0(s?.acked),
      ratio(s?.acked, rate('bare Aedes')),
      ratio(s?.acked, rate('Mosquitto')),
      r.method,
      s ? `${n1(s.p50)} / ${n1(s.p99)}` : '-',
      s?.stored === undefined ? '-' : n0(s.stored),
      s ? `${n2(s.targetCpu)}/${n2(s.loadCpu)}/${n2(s.otherCpu)}` : '-',
      `${n0(s?.targetRssMb)} (${n0(r.peakRssMb)})`,
      r.ref ? `${n1(r.ref.p50)} / ${n1(r.ref.p99)}` : '-',
      n1(cpm),
      ratio(cpm, aedes ? cpuPerMsg(aedes) : undefined),
    ]);
  }
  return table(rows);
}

export function searchTable(results: readonly IngestResult[]): string {
  const rows = [['target', 'window', 'held', 'offered msg/s', 'acked msg/s', 'throttled/s', 'PUBACK p50/p99 ms', 'stored/s', 'writer batch', 'backlog start->end', 'slope/s', 'CPU target/load/other']];
  for (const r of results) {
    for (const w of r.steps) {
      rows.push([
        r.target,
        `${w.role ?? ''} ${n0(w.seconds)} s`,
        sustained(w) ? 'yes' : 'no',
        w.offered ? n0(w.offered) : 'closed loop',
        n0(w.acked),
        n0(w.throttled),
        `${n1(w.p50)} / ${n1(w.p99)}`,
        w.stored === undefined ? '-' : n0(w.stored),
        n0(w.writerBatch),
        w.backlogStart === undefined ? '-' : `${n0(w.backlogStart)}->${n0(w.backlogEnd)}`,
        w.backlogSlope === undefined ? '-' : n0(w.backlogSlope),
        `${n2(w.targetCpu)}/${n2(w.loadCpu)}/${n2(w.otherCpu)}`,
      ]);
    }
  }
  return table(rows);
}

export function connectionsTable(results: readonly ConnectionsResult[]): string {
  const base = results.find((r) => r.target === 'bare Aedes')?.kbPerConnection;
  const mosq = results.find((r) => r.target === 'Mosquitto')?.kbPerConnection;
  const rows = [['target', 'connected', 'connect s', 'conn/s', 'CPU connect/idle', 'RSS before->after MB', 'KB/connection', 'vs Aedes', 'vs Mosq']];
  for (const r of results) {
    rows.push([
      r.target,
      `${n0(r.connected)}/${n0(r.wanted)}`,
      n1(r.connectSeconds),
      n0(r.connected / Math.max(0.001, r.connectSeconds)),
      `${n2(r.connectCpu)}/${n2(r.idleCpu)}`,
      `${n0(r.rssBeforeMb)}->${n0(r.rssAfterMb)}`,
      n1(r.kbPerConnection),
      ratio(r.kbPerConnection, base),
      ratio(r.kbPerConnection, mosq),
    ]);
  }
  return table(rows);
}

export function microTable(results: readonly MicroResult[]): string {
  const rows = [['benchmark', 'ops/s', 'mean us', 'rme']];
  for (const r of results) rows.push([`${r.file.replace(/^bench\//, '')} > ${r.group ? `${r.group} > ` : ''}${r.name}`, n0(r.hz), r.meanUs < 10 ? r.meanUs.toFixed(2) : n1(r.meanUs), `±${n1(r.rme)}%`]);
  return table(rows);
}

export function profileText(p: ProfileResult): string {
  const main = threadProfileText('pipeline main thread', p.summary, p);
  return p.gatewayThread ? `${main}\n\n${threadProfileText('gateway thread (GANZHI_GATEWAY_THREAD), same window', p.gatewayThread, p)}` : main;
}

function threadProfileText(thread: string, s: ProfileResult['summary'], p: ProfileResult): string {
  const head =
    `${thread}, ${(s.totalMs / 1000).toFixed(1)} s sampled at ${n0(p.window.acked)} msg/s acknowledged (offered ${n0(p.rate)}), ` +
    `busy ${((s.busyMs / Math.max(1, s.totalMs)) * 100).toFixed(0)} %; self time as a share of busy time` +
    (p.savedTo ? `; profile saved to ${p.savedTo}` : '');
  const areas = table([['area (nearest package on the stack)', 'self ms', 'share'], ...s.areas.slice(0, 15).map((a) => [a.name, n0(a.ms), `${(a.share * 100).toFixed(1)}%`])]);
  const fns = table([['function', 'area', 'self ms', 'share'], ...s.functions.slice(0, 25).map((f) => [f.name.slice(0, 90), f.area, n0(f.ms), `${(f.share * 100).toFixed(1)}%`])]);
  const own = table([
    ['own function (inclusive: it and what it calls, synchronously)', 'area', 'ms', 'share'],
    ...s.ownInclusive.slice(0, 15).map((f) => [f.name.slice(0, 90), f.area, n0(f.ms), `${(f.share * 100).toFixed(1)}%`]),
  ]);
  return `${head}\n\n${areas}\n\n${fns}\n\n${own}`;
}

export function formatReport(r: BenchReport): string {
  const out: string[] = [];
  const soak = r.soak ? formatSoak(r.soak) : undefined;
  const m = r.machine;
  out.push(`Ganzhi bench, ${m.date}: ${m.cpu}, ${m.cores} cores, node ${m.node}, ${m.kernel}; load average at start ${m.loadavgAtStart}`);
  out.push(
    `${r.config.devices} devices (four kinds, JSON), QoS 1 over TCP on 127.0.0.1, window ${r.config.window} per device, ${r.config.workers} load worker processes; ` +
      `windows of ${r.config.windowMs / 1000} s after ${r.config.settleMs / 1000} s settling${r.config.quick ? ' (--quick)' : ''}; took ${Math.round(r.seconds)} s`,
  );
  if (r.ingest.length) {
    out.push('', 'INGEST (figures at the sustained rate; CPU in cores, 1.00 = one core busy)', ingestTable(r.ingest, r.config.refRate));
    const mem = r.ingest.filter((i) => i.memory);
    if (mem.length) {
      out.push('', 'pipeline memory at the end of its scenario (process.memoryUsage, MB; native = RSS - JS heap - external: DuckDB, code, stacks)');
      out.push(
        table([
          ['target', 'RSS', 'JS heap (used)', 'external', 'native'],
          ...mem.map((i) => {
            const m = i.memory!;
            return [i.target, n0(m.rss), `${n0(m.heapTotal)} (${n0(m.heapUsed)})`, n0(m.external), n0(m.rss - m.heapTotal - m.external)];
          }),
        ]),
      );
    }
    out.push('', 'rate search, every window', searchTable(r.ingest));
  }
  if (r.city?.length)
    out.push(
      '',
      'CITY RATES (CPU of the whole process, all threads, from /proc, after a warm-up; alert = device publish -> operator receives the red alert)',
      ...(r.cityWindows
        ? [`batching windows: GANZHI_BUS_LINGER_MS=${r.cityWindows.busLingerMs} (group commit: a PUBACK waits at most this, from ${r.cityWindows.busLingerMs > 0 ? Math.ceil(500 / r.cityWindows.busLingerMs) : '-'} msg/s on), GANZHI_DUCKDB_LINGER_MS=${r.cityWindows.duckdbLingerMs} (when readings become queryable; never on the PUBACK or alert path)`]
        : []),
      cityTable(r.city),
    );
  if (r.kafka?.skipped) out.push('', `KAFKA: skipped: ${r.kafka.skipped}`);
  else if (r.kafka?.peer) out.push('', `KAFKA peer: ${r.kafka.peer}`);
  if (r.kafka?.cost?.length) out.push('', `KAFKA vs EMBEDDED: CPU per message at a fixed offered rate (pipeline process only; the peer's own CPU beside it)`, costTable(r.kafka.cost));
  if (r.hj212) {
    const rows = r.hj212.rows;
    out.push(
      '',
      `HJ 212 OVER TCP beside MQTT JSON (pipeline fsync; ${rows[0]?.connections ?? 0} air monitors each way, ${rows[0]?.window ?? 0} reports in flight each, closed loop)`,
      table([['transport (answer)', 'acknowledged/s', 'answer p50 ms', 'p99 ms', 'acknowledged', 'seconds'], ...rows.map((x) => [x.transport, n0(x.perSec), n1(x.p50Ms), n1(x.p99Ms), n0(x.acked), n1(x.seconds)])]),
    );
  }
  if (r.alerts?.length) {
    out.push(
      '',
      `ALERT LATENCY (device publish -> operator receives the red alert over MQTT), pipeline ${r.ingest.some((i) => i.target === 'pipeline (fsync)') ? 'fsync' : ''}, ${r.alerts[0]!.spikesPerSec} red spikes/s`,
      table([
        ['offered msg/s', 'acked msg/s', 'backlog start->end', 'spikes', 'alerts received', 'p50 ms', 'p99 ms', 'max ms'],
        ...r.alerts.map((a) => [
          n0(a.rate),
          n0(a.window.acked),
          `${n0(a.window.backlogStart)}->${n0(a.window.backlogEnd)}`,
          n0(a.spikes),
          n0(a.received),
          n1(a.p50),
          n1(a.p99),
          n1(a.max),
        ]),
      ]),
    );
  }
  if (r.faults?.length) {
    out.push(
      '',
      'FAULTS (PUBACK latency of one device publishing 50 msg/s beside 50 devices publishing 1,000 msg/s at QoS 1, pipeline fsync)',
      table([
        ['phase', 'PUBACKs', 'p50 ms', 'p99 ms', 'max ms', 'background acked/s', 'note'],
        ...r.faults.map((f) => [f.phase, n0(f.publishes), n1(f.p50), n1(f.p99), n1(f.max), n0(f.backgroundAckedPerSec), f.note ?? '']),
      ]),
    );
  }
  if (r.connections?.length) out.push('', 'CONNECTIONS (idle, keepalive 0; RSS per connection = RSS growth / connections)', connectionsTable(r.connections));
  if (r.micro) {
    out.push('', 'MICRO-BENCHMARKS (vitest bench, one run each)');
    if (r.micro.results.length) out.push(microTable(r.micro.results));
    if (r.micro.error) out.push(`micro: ${r.micro.error}`);
  }
  if (r.store) {
    out.push('', 'STORE WRITERS beside the raw clients (same table shape, same readings, one producer awaiting each batch; rows/s over write time; CPU of the whole process per row)');
    out.push(formatStorePairs(r.store, table));
  }
  if (r.profile) {
    out.push('', 'CPU PROFILE of the ingest scenario');
    out.push('skipped' in r.profile ? `skipped: ${r.profile.skipped}` : profileText(r.profile));
  }
  if (r.notes.length) out.push('', 'NOTES', ...r.notes.map((n) => `- ${n}`));
  if (soak) out.push('', soak);
  return out.join('\n');
}

export function costTable(results: readonly CostResult[]): string {
  const embedded = results.find((r) => !r.target.includes('kafka'))?.cpuUsPerMsg;
  const rows = [['target', 'offered msg/s', 'acked msg/s', 'stored/s', 'held', 'PUBACK p50/p99 ms', 'CPU cores', 'CPU us/msg', 'vs embedded', 'peer us/msg', 'produce/fetch/commit req per msg', 'records per produce']];
  for (const r of results) {
    const q = r.requests;
    rows.push([
      r.target,
      n0(r.rate),
      n0(r.window.acked),
      n0(r.window.stored),
      r.held ? 'yes' : 'NO',
      `${n1(r.window.p50)} / ${n1(r.window.p99)}`,
      n2(r.window.targetCpu),
      n1(r.cpuUsPerMsg),
      ratio(r.cpuUsPerMsg, embedded),
      n1(r.peerUsPerMsg),
      q ? `${q.produce.toFixed(3)} / ${q.fetch.toFixed(3)} / ${q.commit.toFixed(3)}` : '-',
      n1(q?.recordsPerProduce),
    ]);
  }
  return table(rows);
}

export function cityTable(rows: readonly CityRow[]): string {
  const out = [['target', 'devices', 'offered msg/s', 'acked msg/s', 'CPU cores', 'CPU ms/msg', 'vs Aedes', 'PUBACK p50/p99 ms', 'alert p50/p99/max ms', 'alerts (> 50 ms)', 'RSS MB']];
  for (const r of rows) {
    const aedes = rows.find((b) => b.target === 'bare Aedes' && b.devices === r.devices && b.rate === r.rate);
    out.push([
      r.target,
      n0(r.devices),
      n0(r.rate),
      r.rate ? n0(r.acked) : '-',
      r.cores.toFixed(3),
      r.msPerMsg === undefined ? '-' : r.msPerMsg.toFixed(2),
      r.target === 'bare Aedes' || !aedes || aedes.cores <= 0 ? '' : `${(r.cores / aedes.cores).toFixed(1)}x`,
      r.pubackP50 === undefined ? '-' : `${n1(r.pubackP50)} / ${n1(r.pubackP99)}`,
      r.alertP50 === undefined ? '-' : `${n1(r.alertP50)} / ${n1(r.alertP99)}${r.alertMax === undefined ? '' : ` / ${n1(r.alertMax)}`}`,
      r.spikes === undefined ? '-' : `${r.alertsReceived}/${r.spikes}${r.alertsOver50 === undefined ? '' : ` (${r.alertsOver50})`}`,
      n0(r.rssMb),
    ]);
  }
  return table(out);
}
