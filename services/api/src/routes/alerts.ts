import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { AuditCheckpointSchema, CommandActionSchema, deviceIdOfAlert, api, type Command, type CommandResult } from '@ganzhi/schemas';
import { signCheckpoint, verifyStoredEvents } from '@ganzhi/alerts';
import { currentAlerts, type App, type RouteContext } from '../context';
import { HttpError } from '../errors';

const { ErrorBodySchema } = api;

const AuditProblemSchema = z.object({
  deviceId: z.string(),
  alertId: z.string().optional(),
  seq: z.number().optional(),
  deviceSeq: z.number().optional(),
  problem: z.string(),
  chain: z.enum(['alert', 'device']).optional(),
  detail: z.string(),
});
const AuditReportSchema = z.object({
  ok: z.boolean(),
  devices: z.number().int(),
  events: z.number().int(),
  checkpointed: z.number().int(),
  problems: z.array(AuditProblemSchema),
  first: AuditProblemSchema.optional(),
});

/** Every stored event checked against the keyed chains, the signed heads and (if given) an exported checkpoint. */
async function verifyAudit(ctx: RouteContext, deviceId: string | undefined, checkpoint?: unknown) {
  let cp;
  if (checkpoint !== undefined) {
    const parsed = AuditCheckpointSchema.safeParse(checkpoint);
    if (!parsed.success) throw new HttpError(400, 'GANZHI_ERR_API_BAD_REQUEST', `checkpoint: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    cp = parsed.data;
  }
  const events = await ctx.store.alertEvents(deviceId ? { deviceId } : {});
  return verifyStoredEvents(events, {
    ...(ctx.keyring ? { keyring: ctx.keyring } : {}),
    heads: ctx.heads(),
    ...(cp ? { checkpoint: cp } : {}),
    ...(deviceId ? { deviceId } : {}),
  });
}

/** Alerts in their current state, one with its trail, actions on them, and the audit check. */
export function alertRoutes(app: App, ctx: RouteContext): void {
  app.get(
    '/api/alerts',
    {
      config: { action: 'alerts:read' },
      schema: { summary: 'Alerts in their current state', tags: ['alerts'], querystring: api.AlertsQuerySchema, response: { 200: api.AlertListSchema, 400: ErrorBodySchema, 401: ErrorBodySchema } },
    },
    async (req) => {
      const q = req.query;
      const all = await currentAlerts(ctx.store, {
        ...(q.deviceId ? { deviceId: q.deviceId } : {}),
        ...(q.from !== undefined ? { from: q.from } : {}),
        ...(q.to !== undefined ? { to: q.to } : {}),
        limit: q.limit ?? 10_000,
      });
      return {
        alerts: all.filter(
          (a) =>
            (!q.status || a.status === q.status) &&
            (!q.level || a.level === q.level) &&
            (!q.kind || a.kind === q.kind) &&
            (!q.site || a.site === q.site) &&
            (q.open !== true || a.status !== 'closed'),
        ),
      };
    },
  );

  app.get(
    '/api/alerts/:alertId',
    {
      config: { action: 'alerts:read' },
      schema: { summary: 'One alert with its whole trail', tags: ['alerts'], params: api.AlertIdParamsSchema, response: { 200: api.AlertDetailSchema, 404: ErrorBodySchema } },
    },
    async (req) => {
      const events = await ctx.store.alertHistory({ alertId: req.params.alertId });
      if (events.length === 0) throw new HttpError(404, 'GANZHI_ERR_ALERT_NOT_FOUND', `no such alert "${req.params.alertId}"`);
      return { alert: events.reduce((a, b) => (b.seq > a.seq ? b : a)), events };
    },
  );

  for (const action of CommandActionSchema.options) {
    app.post(
      `/api/alerts/:alertId/${action}`,
      {
        config: { action: `alerts:${action}` },
        schema: {
          summary: `${action[0]!.toUpperCase()}${action.slice(1)} an alert; answers with the alert manager's verdict`,
          tags: ['alerts'],
          params: api.AlertIdParamsSchema,
          body: api.AlertActionBodySchemas[action],
          response: { 200: api.CommandVerdictSchema, 400: ErrorBodySchema, 404: api.CommandVerdictSchema.or(ErrorBodySchema), 409: api.CommandVerdictSchema, 504: ErrorBodySchema },
        },
      },
      async (req, reply) => {
        const { alertId } = req.params;
        const deviceId = deviceIdOfAlert(alertId);
        if (!deviceId) throw new HttpError(404, 'GANZHI_ERR_ALERT_NOT_FOUND', `no such alert "${alertId}"`);
        const command: Command = { ...req.body, alertId, action, id: `api.${ctx.instanceId}.${randomUUID()}`, deviceId, actor: req.operator!.id, via: 'http', at: ctx.now() };
        const result = await verdictOf(ctx, command);
        const status = result.ok ? 200 : result.code === 'GANZHI_ERR_ALERT_NOT_FOUND' ? 404 : 409;
        return reply.code(status).send(result.ok ? { result } : { result, error: { code: result.code ?? 'GANZHI_ERR_ALERT_TRANSITION', message: result.reason ?? '' } });
      },
    );
  }

  app.get(
    '/api/audit/verify',
    {
      config: { action: 'audit:verify' },
      schema: {
        summary: "Verify the alert history's hash chains (409 with the problems when tampered)",
        tags: ['alerts'],
        querystring: z.object({ deviceId: z.string().min(1).max(64).optional() }),
        response: { 200: AuditReportSchema, 409: AuditReportSchema },
      },
    },
    async (req, reply) => {
      const report = await verifyAudit(ctx, req.query.deviceId);
      return reply.code(report.ok ? 200 : 409).send(report);
    },
  );

  app.post(
    '/api/audit/verify',
    {
      config: { action: 'audit:verify' },
      schema: {
        summary: 'Verify the alert history against a signed checkpoint exported earlier (GET /api/audit/checkpoint, or a line of checkpoints.ndjson)',
        tags: ['alerts'],
        querystring: z.object({ deviceId: z.string().min(1).max(64).optional() }),
        body: z.object({ checkpoint: z.unknown() }).catchall(z.unknown()),
        response: { 200: AuditReportSchema, 409: AuditReportSchema },
      },
    },
    async (req, reply) => {
      const body = req.body as { checkpoint?: unknown };
      const report = await verifyAudit(ctx, req.query.deviceId, body.checkpoint ?? body);
      return reply.code(report.ok ? 200 : 409).send(report);
    },
  );

  app.get(
    '/api/audit/checkpoint',
    {
      config: { action: 'audit:checkpoint' },
      schema: { summary: "A checkpoint of every device's chain head, signed with the audit key, to keep apart from the data", tags: ['alerts'], response: { 200: AuditCheckpointSchema } },
    },
    async () => {
      if (!ctx.keyring) throw new HttpError(503, 'GANZHI_ERR_API_INTERNAL', 'no audit keyring configured');
      const t = ctx.now();
      return signCheckpoint(ctx.keyring, { id: `export-${t}`, at: t, heads: ctx.heads().map((h) => ({ deviceId: h.deviceId, seq: h.seq, hash: h.hash })) });
    },
  );

  app.get(
    '/api/alerts/:alertId/notifications',
    {
      config: { action: 'alerts:read' },
      schema: {
        summary: 'The notifications of an alert: receiver, route, status and every delivery attempt',
        tags: ['alerts'],
        params: z.object({ alertId: z.string().min(1).max(256) }),
        response: { 200: api.NotificationListSchema, 404: ErrorBodySchema },
      },
    },
    async (req) => {
      if (!ctx.notifications) throw new HttpError(404, 'GANZHI_ERR_API_NOT_FOUND', 'no notifier in this process');
      return { alertId: req.params.alertId, notifications: ctx.notifications(req.params.alertId) };
    },
  );
}

/** Publishes the command and waits for the alert manager's verdict on `ganzhi.command-results.v1`. */
function verdictOf(ctx: RouteContext, command: Command): Promise<CommandResult> {
  return new Promise<CommandResult>((resolve, reject) => {
    const timer = setTimeout(() => {
      ctx.waiting.delete(command.id);
      reject(new HttpError(504, 'GANZHI_ERR_BUS_UNAVAILABLE', 'no verdict from the alert manager in time; the command may still apply'));
    }, ctx.commandTimeoutMs);
    ctx.waiting.set(command.id, (r) => {
      clearTimeout(timer);
      resolve(r);
    });
    ctx.bus.publish('ganzhi.commands.v1', [{ key: command.deviceId, value: command }]).catch((err: unknown) => {
      clearTimeout(timer);
      ctx.waiting.delete(command.id);
      reject(err);
    });
  });
}
