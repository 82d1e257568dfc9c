import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { type Bus, type KeyedView, type Subscription } from '@ganzhi/bus';
import type { Logger } from '@ganzhi/log';
import { openSilencesView } from '@ganzhi/runtime';
import { signCheckpoint, verifyStoredEvents, type AuditKeyring } from '@ganzhi/alerts';
import { openHeadsView } from '@ganzhi/runtime';
import { allows, httpAction, silenceLimitMinutes, type Registry } from '@ganzhi/registry';
import {
  AuditCheckpointSchema,
  CommandActionSchema,
  CommandBodySchema,
  DeviceKindSchema,
  SilenceSchema,
  deviceIdOfAlert,
  type Silence,
  type AlertChange,
  type Command,
  type CommandResult,
  type AuditHead,
  type Refusal,
} from '@ganzhi/schemas';
import type { Store } from '@ganzhi/store';
import { bindError } from '@ganzhi/config';
import { HttpError, authenticateOperator, numberParam, readJsonBody, sendError, sendJson } from './http';

export interface ApiDeps {
  store: Store;
  registry: Registry;
  bus: Bus;
  logger: Logger;
  /** Extra figures for /api/stats (stage counters). */
  stats?: () => unknown;
  /** The notifications of an alert with their delivery attempts (the notifier, when it runs in this process). */
  notifications?: (alertId: string) => unknown[];
  now?: () => number;
  /** The audit keyring: verification needs it (and the signed heads) to detect rewrites. */
  keyring?: AuditKeyring;
}

export interface ApiOptions {
  host: string;
  port: number;
  instanceId: string;
  /** How long a POSTed command waits for the alert manager's verdict. */
  commandTimeoutMs?: number;
  /** Longest silence (minutes) below the admin role; default 7 days. */
  silenceMaxMinutes?: number;
}

export interface Api {
  start(): Promise<void>;
  close(): Promise<void>;
  port(): number;
}

type Route = (req: IncomingMessage, res: ServerResponse, url: URL, params: string[]) => Promise<void>;

/**
 * The operators' HTTP API: readings, alerts (list, one with its history) and actions on alerts.
 * Every /api route needs operator credentials; actions are published as commands with the
 * authenticated operator as the actor, and answered with the alert manager's verdict.
 */
export function buildApi(options: ApiOptions, deps: ApiDeps): Api {
  const { store, registry, bus } = deps;
  const now = deps.now ?? Date.now;
  const log = deps.logger.child({ component: 'api' });
  const waiting = new Map<string, (r: CommandResult) => void>();
  let server: Server | undefined;
  let sub: Subscription | undefined;
  let silences: KeyedView<Silence> | undefined;
  let heads: KeyedView<AuditHead> | undefined;

  /** Records a refused action (who tried what) on `ganzhi.audit.v1`; never fails the request. */
  function refuse(actor: string, action: string, target: string, code: string, reason: string): never {
    const refusal: Refusal = { id: `api.${options.instanceId}.${randomUUID()}`, at: now(), actor, action, target, via: 'http', code, reason };
    bus.publish('ganzhi.audit.v1', [{ key: actor, value: refusal }]).catch((err: unknown) => log.error({ err }, 'recording a refusal failed'));
    throw new HttpError(403, code, reason);
  }

  /**
   * The one check every /api route passes: authenticate the operator, then ask the policy whether
   * their role allows the route's action (packages/registry policy.ts, HTTP_ROUTES).
   */
  async function authorize(req: IncomingMessage, pathname: string) {
    const operator = await authenticateOperator(req, registry);
    const action = httpAction(req.method ?? 'GET', pathname);
    if (!action) throw new HttpError(404, 'GANZHI_ERR_API_NOT_FOUND', `no route ${req.method} ${pathname}`);
    if (!allows(operator.operator.roles, action)) {
      refuse(operator.id, action, `${req.method} ${pathname}`, 'GANZHI_ERR_API_FORBIDDEN', `${operator.id} (roles ${operator.operator.roles.join(', ')}) may not ${action}`);
    }
    return operator;
  }

  async function verify(deviceId: string | undefined, checkpoint?: unknown) {
    let cp;
    if (checkpoint !== undefined) {
      const parsed = AuditCheckpointSchema.safeParse(checkpoint);
      if (!parsed.success) throw new HttpError(400, 'GANZHI_ERR_CFG_INVALID', `checkpoint: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
      cp = parsed.data;
    }
    const events = await store.alertEvents(deviceId ? { deviceId } : {});
    return verifyStoredEvents(events, {
      ...(deps.keyring ? { keyring: deps.keyring } : {}),
      heads: heads?.values() ?? [],
      ...(cp ? { checkpoint: cp } : {}),
      ...(deviceId ? { deviceId } : {}),
    });
  }

  const routes: Array<[string, RegExp, Route]> = [
    [
      'GET',
      /^\/api\/silences$/,
      async (_req, res, url) => {
        const all = url.searchParams.get('all') === 'true';
        const t = now();
        sendJson(res, 200, { silences: silences!.values().filter((s) => all || s.endsAt > t) });
      },
    ],
    [
      'POST',
      /^\/api\/silences$/,
      async (req, res) => {
        const operator = await authenticateOperator(req, registry);
        const body = (await readJsonBody(req)) as Record<string, unknown>;
        const t = now();
        const startsAt = typeof body.startsAt === 'number' ? body.startsAt : t;
        const minutes = typeof body.durationMinutes === 'number' ? body.durationMinutes : undefined;
        const parsed = SilenceSchema.safeParse({
          id: `sil-${randomUUID()}`,
          match: body.match,
          startsAt,
          endsAt: minutes !== undefined ? startsAt + minutes * 60_000 : body.endsAt,
          createdBy: operator.id,
          createdAt: t,
          ...(typeof body.comment === 'string' ? { comment: body.comment } : {}),
        });
        if (!parsed.success) throw new HttpError(400, 'GANZHI_ERR_CFG_INVALID', parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
        const limit = silenceLimitMinutes(operator.operator.roles, options.silenceMaxMinutes ?? 7 * 24 * 60);
        const asked = (parsed.data.endsAt - Math.max(parsed.data.startsAt, t)) / 60_000;
        if (limit !== undefined && asked > limit) {
          refuse(operator.id, 'silences.unlimited', JSON.stringify(parsed.data.match), 'GANZHI_ERR_API_FORBIDDEN', `a silence of ${Math.ceil(asked)} minutes exceeds the ${limit} minutes ${operator.id} may set (GANZHI_SILENCE_MAX_MINUTES)`);
        }
        await bus.publish('ganzhi.silences.v1', [{ key: parsed.data.id, value: { id: parsed.data.id, action: 'set', silence: parsed.data, actor: operator.id, at: t } }]);
        sendJson(res, 201, { silence: parsed.data });
      },
    ],
    [
      'DELETE',
      /^\/api\/silences\/([^/]+)$/,
      async (req, res, _url, [id]) => {
        const operator = await authenticateOperator(req, registry);
        if (!silences!.get(id!)) throw new HttpError(404, 'GANZHI_ERR_API_NOT_FOUND', `no such silence "${id}"`);
        await bus.publish('ganzhi.silences.v1', [{ key: id!, value: { id: id!, action: 'delete', actor: operator.id, at: now() } }]);
        sendJson(res, 200, { deleted: id });
      },
    ],
    [
      'GET',
      /^\/api\/audit\/verify$/,
      async (_req, res, url) => {
        const report = await verify(url.searchParams.get('deviceId') ?? undefined);
        sendJson(res, report.ok ? 200 : 409, report);
      },
    ],
    [
      'POST',
      /^\/api\/audit\/verify$/,
      async (req, res, url) => {
        // body: a signed checkpoint exported earlier (GET /api/audit/checkpoint, or a line of checkpoints.ndjson)
        const body = (await readJsonBody(req, 16 * 1024 * 1024)) as { checkpoint?: unknown };
        const report = await verify(url.searchParams.get('deviceId') ?? undefined, body.checkpoint ?? body);
        sendJson(res, report.ok ? 200 : 409, report);
      },
    ],
    [
      'GET',
      /^\/api\/audit\/checkpoint$/,
      async (_req, res) => {
        if (!deps.keyring) throw new HttpError(503, 'GANZHI_ERR_API_INTERNAL', 'no audit keyring configured');
        const t = now();
        const list = (heads?.values() ?? []).map((h) => ({ deviceId: h.deviceId, seq: h.seq, hash: h.hash }));
        sendJson(res, 200, signCheckpoint(deps.keyring, { id: `export-${t}`, at: t, heads: list }));
      },
    ],
    ['GET', /^\/api\/stats$/, async (_req, res) => sendJson(res, 200, deps.stats?.() ?? {})],
    [
      'GET',
      /^\/api\/readings\/latest$/,
      async (_req, res, url) => {
        const kind = url.searchParams.get('kind');
        const rows = await store.latest({
          ...(url.searchParams.get('deviceId') ? { deviceId: url.searchParams.get('deviceId')! } : {}),
          ...(kind ? { kind: DeviceKindSchema.parse(kind) } : {}),
          ...(url.searchParams.get('metric') ? { metric: url.searchParams.get('metric')! } : {}),
        });
        sendJson(res, 200, { readings: rows });
      },
    ],
    [
      'GET',
      /^\/api\/readings\/range$/,
      async (_req, res, url) => {
        const deviceId = url.searchParams.get('deviceId');
        const metric = url.searchParams.get('metric');
        if (!deviceId || !metric) throw new HttpError(400, 'GANZHI_ERR_CFG_INVALID', 'deviceId and metric are required');
        const to = numberParam(url, 'to') ?? now();
        const from = numberParam(url, 'from') ?? to - 24 * 3600_000;
        const bucketMs = numberParam(url, 'bucketMs') ?? 3600_000;
        sendJson(res, 200, { buckets: await store.range({ deviceId, metric, from, to, bucketMs }) });
      },
    ],
    [
      'GET',
      /^\/api\/alerts$/,
      async (_req, res, url) => {
        const deviceId = url.searchParams.get('deviceId') ?? undefined;
        const history = await store.alertHistory({ ...(deviceId ? { deviceId } : {}), limit: numberParam(url, 'limit') ?? 10_000 });
        const latest = new Map<string, AlertChange>();
        for (const c of history) {
          const prev = latest.get(c.alertId);
          if (!prev || prev.seq < c.seq) latest.set(c.alertId, c);
        }
        const status = url.searchParams.get('status');
        const level = url.searchParams.get('level');
        const open = url.searchParams.get('open');
        const alerts = [...latest.values()].filter(
          (a) => (!status || a.status === status) && (!level || a.level === level) && (open !== 'true' || a.status !== 'closed'),
        );
        sendJson(res, 200, { alerts });
      },
    ],
    [
      'GET',
      /^\/api\/alerts\/([^/]+)$/,
      async (_req, res, _url, [alertId]) => {
        const events = await store.alertHistory({ alertId: alertId! });
        if (events.length === 0) throw new HttpError(404, 'GANZHI_ERR_ALERT_NOT_FOUND', `no such alert "${alertId}"`);
        sendJson(res, 200, { alert: events.reduce((a, b) => (b.seq > a.seq ? b : a)), events });
      },
    ],
    [
      'GET',
      /^\/api\/alerts\/([^/]+)\/notifications$/,
      async (_req, res, _url, [alertId]) => {
        if (!deps.notifications) throw new HttpError(404, 'GANZHI_ERR_API_NOT_FOUND', 'no notifier in this process');
        sendJson(res, 200, { alertId, notifications: deps.notifications(alertId!) });
      },
    ],
    [
      'POST',
      /^\/api\/alerts\/([^/]+)\/(acknowledge|dispatch|resolve|close)$/,
      async (req, res, _url, [alertId, action]) => {
        const operator = await authenticateOperator(req, registry);
        const body = (await readJsonBody(req)) as Record<string, unknown>;
        const parsed = CommandBodySchema.safeParse({ ...body, alertId, action: CommandActionSchema.parse(action) });
        if (!parsed.success) throw new HttpError(400, 'GANZHI_ERR_GW_BAD_COMMAND', parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
        const deviceId = deviceIdOfAlert(parsed.data.alertId);
        if (!deviceId) throw new HttpError(404, 'GANZHI_ERR_ALERT_NOT_FOUND', `no such alert "${alertId}"`);
        const command: Command = { ...parsed.data, id: `api.${options.instanceId}.${randomUUID()}`, deviceId, actor: operator.id, via: 'http', at: now() };
        const result = await new Promise<CommandResult>((resolve, reject) => {
          const timer = setTimeout(() => {
            waiting.delete(command.id);
            reject(new HttpError(504, 'GANZHI_ERR_BUS_UNAVAILABLE', 'no verdict from the alert manager in time; the command may still apply'));
          }, options.commandTimeoutMs ?? 10_000);
          waiting.set(command.id, (r) => {
            clearTimeout(timer);
            resolve(r);
          });
          bus.publish('ganzhi.commands.v1', [{ key: deviceId, value: command }]).catch((err: unknown) => {
            clearTimeout(timer);
            waiting.delete(command.id);
            reject(err);
          });
        });
        const status = result.ok ? 200 : result.code === 'GANZHI_ERR_ALERT_NOT_FOUND' ? 404 : 409;
        sendJson(res, status, result.ok ? { result } : { result, error: { code: result.code, message: result.reason } });
      },
    ],
  ];

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://localhost');
    try {
      if (url.pathname === '/healthz') return sendJson(res, 200, { status: 'ok' });
      for (const [method, pattern, route] of routes) {
        const m = pattern.exec(url.pathname);
        if (!m) continue;
        if (req.method !== method) continue;
        await authorize(req, url.pathname); // routes that need the actor authenticate again (a cached check)
        return await route(req, res, url, m.slice(1).map(decodeURIComponent));
      }
      throw new HttpError(404, 'GANZHI_ERR_API_NOT_FOUND', `no route ${req.method} ${url.pathname}`);
    } catch (err) {
      if (!(err instanceof HttpError) && !(err instanceof URIError)) log.error({ err, path: url.pathname }, 'api request failed');
      sendError(res, err instanceof Error && err.name === 'ZodError' ? new HttpError(400, 'GANZHI_ERR_CFG_INVALID', err.message) : err);
    }
  }

  return {
    port: () => (server?.address() as AddressInfo | null)?.port ?? 0,
    async start() {
      sub = await bus.subscribe(
        `api.${options.instanceId}`,
        {
          'ganzhi.command-results.v1': async (batch) => {
            for (const { value } of batch) waiting.get(value.commandId)?.(value);
            for (const { value } of batch) waiting.delete(value.commandId);
          },
        },
        { start: 'latest' },
      );
      silences = await openSilencesView(bus, `api.${options.instanceId}`);
      heads = await openHeadsView(bus, `api.${options.instanceId}`);
      server = createServer((req, res) => void handle(req, res));
      await new Promise<void>((resolve, reject) => {
        server!.once('error', (err) => reject(bindError(err, 'GANZHI_HTTP_PORT', options.port, options.host)));
        server!.listen(options.port, options.host, () => resolve());
      });
      log.info({ port: (server.address() as AddressInfo).port }, 'api listening');
    },
    async close() {
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
      server?.closeAllConnections?.();
      await sub?.close();
      await silences?.close();
      await heads?.close();
    },
  };
}
