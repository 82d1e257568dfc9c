import { z } from 'zod';
import type { Device } from '@ganzhi/registry';
import { SEVERITY, api, type AlertChange, type ConnectionChange, type Level } from '@ganzhi/schemas';
import type { ReadingRow } from '@ganzhi/store';
import { currentAlerts, type App, type RouteContext } from '../context';
import { HttpError } from '../errors';
import { ruleMetrics, thresholdBands } from '../thresholds';

const { ErrorBodySchema } = api;
type Summary = z.infer<typeof api.DeviceSummarySchema>;

/** A device as the console lists it: registry data (never the secret), connection, latest values, open alerts. */
function summarise(device: Device, rows: readonly ReadingRow[], open: readonly AlertChange[], seen: ConnectionChange | undefined): Summary {
  // The gateway's view of the connection wins; a device's own status message (or last will) is the fallback.
  const status = rows.find((r) => r.metric === 'online');
  const fromStatus = status ? { state: status.value === 1 ? ('connected' as const) : ('disconnected' as const), since: status.ts } : undefined;
  const connection = seen && (!fromStatus || seen.at >= fromStatus.since) ? { state: seen.state, since: seen.at } : (fromStatus ?? { state: 'unknown' as const, since: null });
  const lastMessageAt = rows.reduce<number | null>((m, r) => (m === null || r.ts > m ? r.ts : m), null);
  const top = open.reduce<Level | null>((m, a) => (m === null || SEVERITY[a.level] > SEVERITY[m] ? a.level : m), null);
  return {
    id: device.id,
    kind: device.kind,
    site: device.site ?? null,
    name: device.name ?? null,
    format: device.format,
    reportIntervalSec: device.reportIntervalSec,
    attributes: device.attributes,
    connection: { ...connection, lastMessageAt },
    latest: rows.filter((r) => r.metric !== 'online'),
    openAlerts: open.length,
    topLevel: top,
  };
}

/** Readings, devices, dead letters, the overview and stage counters. */
export function dataRoutes(app: App, ctx: RouteContext): void {
  app.get(
    '/api/readings/latest',
    {
      config: { action: 'readings:read' },
      schema: { summary: 'The newest value per device and metric', tags: ['readings'], querystring: api.LatestQuerySchema, response: { 200: z.object({ readings: z.array(api.ReadingRowSchema) }), 400: ErrorBodySchema } },
    },
    async (req) => ({ readings: await ctx.store.latest(req.query) }),
  );

  app.get(
    '/api/readings/range',
    {
      config: { action: 'readings:read' },
      schema: {
        summary: 'Time buckets (avg, min, max, last, count) of one metric of one device; default the last 24 h in hours',
        tags: ['readings'],
        querystring: api.RangeQuerySchema,
        response: { 200: z.object({ buckets: z.array(api.BucketSchema) }), 400: ErrorBodySchema },
      },
    },
    async (req) => {
      const q = req.query;
      const to = q.to ?? ctx.now();
      const from = q.from ?? to - 24 * 3600_000;
      if (from >= to) throw new HttpError(400, 'GANZHI_ERR_API_BAD_REQUEST', 'querystring from: must be before to', ['from']);
      const bucketMs = q.bucketMs ?? 3600_000;
      if ((to - from) / bucketMs > 10_000) throw new HttpError(400, 'GANZHI_ERR_API_BAD_REQUEST', 'querystring bucketMs: more than 10000 buckets in the range', ['bucketMs']);
      return { buckets: await ctx.store.range({ deviceId: q.deviceId, metric: q.metric, from, to, bucketMs }) };
    },
  );

  app.get(
    '/api/devices',
    {
      config: { action: 'devices:read' },
      schema: {
        summary: 'Registered devices with connection state (as the gateway sees it), latest values and open alerts',
        tags: ['devices'],
        querystring: api.DevicesQuerySchema,
        response: { 200: z.object({ devices: z.array(api.DeviceSummarySchema) }), 400: ErrorBodySchema, 401: ErrorBodySchema },
      },
    },
    async (req) => {
      const q = req.query;
      const devices = ctx.registry.devices().filter((d) => (!q.kind || d.kind === q.kind) && (!q.site || d.site === q.site));
      const [rows, alerts] = await Promise.all([ctx.store.latest(q.kind ? { kind: q.kind } : {}), currentAlerts(ctx.store)]);
      const rowsBy = groupBy(rows, (r) => r.deviceId);
      const openBy = groupBy(alerts.filter((a) => a.status !== 'closed'), (a) => a.deviceId);
      const list = devices.map((d) => summarise(d, rowsBy.get(d.id) ?? [], openBy.get(d.id) ?? [], ctx.connections().get(d.id)));
      return { devices: q.online === undefined ? list : list.filter((d) => (d.connection.state === 'connected') === q.online) };
    },
  );

  app.get(
    '/api/devices/:id',
    {
      config: { action: 'devices:read' },
      schema: {
        summary: 'One device: registry data, connection, latest values, its alerts and the threshold bands of its rules',
        tags: ['devices'],
        params: api.DeviceParamsSchema,
        response: { 200: z.object({ device: api.DeviceDetailSchema }), 400: ErrorBodySchema, 404: ErrorBodySchema },
      },
    },
    async (req) => {
      const device = ctx.registry.device(req.params.id);
      if (!device) throw new HttpError(404, 'GANZHI_ERR_API_NOT_FOUND', `no such device "${req.params.id}"`);
      const [rows, alerts] = await Promise.all([ctx.store.latest({ deviceId: device.id }), currentAlerts(ctx.store, { deviceId: device.id })]);
      const open = alerts.filter((a) => a.status !== 'closed');
      return { device: { ...summarise(device, rows, open, ctx.connections().get(device.id)), alerts: alerts.sort((a, b) => b.event.at - a.event.at), thresholds: thresholdBands(ctx.ruleFiles, device), ruleMetrics: ruleMetrics(ctx.ruleFiles, device) } };
    },
  );

  app.get(
    '/api/deadletters',
    {
      config: { action: 'deadletters:read' },
      schema: {
        summary: 'Recent dead letters (newest first): what a stage could not process, with the reason and the original record',
        tags: ['dead letters'],
        querystring: api.DeadLettersQuerySchema,
        response: { 200: api.DeadLettersSchema, 400: ErrorBodySchema, 401: ErrorBodySchema },
      },
    },
    async (req) => {
      const q = req.query;
      const view = ctx.deadLetters();
      const hits = view
        .list()
        .filter((d) => (!q.deviceId || d.deviceId === q.deviceId) && (!q.stage || d.stage === q.stage) && (!q.code || d.code === q.code) && (q.from === undefined || d.at >= q.from))
        .slice(0, q.limit ?? 200);
      return { deadLetters: hits, kept: view.size };
    },
  );

  app.get(
    '/api/overview',
    {
      config: { action: 'overview:read' },
      schema: { summary: 'The operations-centre overview: open alerts by grade, kind and site, the 24 h trend, ingest rate, devices connected', tags: ['overview'], response: { 200: api.OverviewSchema, 401: ErrorBodySchema } },
    },
    async () => {
      const t = ctx.now();
      const hour = 3600_000;
      const firstHour = Math.floor(t / hour) * hour - 23 * hour;
      const [alerts, recent, rows] = await Promise.all([currentAlerts(ctx.store), ctx.store.alertHistory({ from: firstHour, to: t + 1 }), ctx.store.latest({ metric: 'online' })]);
      const statusBy = groupBy(rows, (r) => r.deviceId);
      const connected = ctx.registry.devices().filter((d) => summarise(d, statusBy.get(d.id) ?? [], [], ctx.connections().get(d.id)).connection.state === 'connected').length;
      const open = alerts.filter((a) => a.status !== 'closed');
      const count = (key: (a: AlertChange) => string) => open.reduce<Record<string, number>>((m, a) => ((m[key(a)] = (m[key(a)] ?? 0) + 1), m), {});
      const raisedPerHour = Array.from({ length: 24 }, (_, i) => ({ hour: firstHour + i * hour, count: 0 }));
      for (const c of recent) if (c.event.type === 'raised') raisedPerHour[Math.floor((c.event.at - firstHour) / hour)]!.count++;
      return {
        at: t,
        openAlerts: { total: open.length, byLevel: count((a) => a.level), byKind: count((a) => a.kind), bySite: count((a) => a.site ?? '-') },
        raisedPerHour,
        ingest: ctx.ingest().rates(),
        devices: { registered: ctx.registry.devices().length, connected },
      };
    },
  );

  app.get(
    '/api/stats',
    { config: { action: 'stats:read' }, schema: { summary: 'Stage counters and memory of this process', tags: ['overview'], response: { 200: z.record(z.string(), z.unknown()) } } },
    async () => (ctx.stats?.() ?? {}) as Record<string, unknown>,
  );
}

function groupBy<T>(items: readonly T[], key: (t: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const i of items) {
    const k = key(i);
    const list = m.get(k);
    if (list) list.push(i);
    else m.set(k, [i]);
  }
  return m;
}
