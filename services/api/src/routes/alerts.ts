import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { CommandActionSchema, deviceIdOfAlert, api, type Command, type CommandResult } from '@ganzhi/schemas';
import { auditAlertHistory } from '../audit';
import { currentAlerts, type App, type RouteContext } from '../context';
import { HttpError } from '../errors';

const { ErrorBodySchema } = api;

const AuditReportSchema = z.object({
  ok: z.boolean(),
  devices: z.number().int(),
  events: z.number().int(),
  problems: z.array(z.object({ deviceId: z.string() }).catchall(z.unknown())),
});

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
      const report = auditAlertHistory(await ctx.store.alertHistory(req.query.deviceId ? { deviceId: req.query.deviceId } : {}));
      return reply.code(report.ok ? 200 : 409).send(report);
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
