import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { SilenceSchema, api } from '@ganzhi/schemas';
import { allowedActions, SESSION_COOKIE, credentialsOf } from '../auth';
import type { App, RouteContext } from '../context';
import { silenceLimitMinutes } from '@ganzhi/registry';
import { HttpError } from '../errors';

const { ErrorBodySchema } = api;

/** Login and logout for the browser, the console's settings, and silences. */
export function sessionRoutes(app: App, ctx: RouteContext): void {
  app.post(
    '/api/session',
    {
      config: { public: true },
      schema: {
        summary: 'Log in: sets the HttpOnly session cookie and returns the same token for use as a bearer token',
        tags: ['session'],
        security: [],
        body: api.LoginBodySchema,
        response: { 200: api.SessionSchema, 401: ErrorBodySchema },
      },
    },
    async (req, reply) => {
      const principal = await ctx.registry.authenticate(req.body.username, req.body.password);
      if (principal?.type !== 'operator') {
        reply.header('www-authenticate', 'Bearer realm="ganzhi"');
        throw new HttpError(401, 'GANZHI_ERR_API_AUTH', 'bad username or password');
      }
      const { token, expiresAt } = ctx.sessions.issue(principal.id);
      void reply.setCookie(SESSION_COOKIE, token, {
        httpOnly: true,
        sameSite: 'strict',
        secure: ctx.secureCookies,
        path: '/',
        maxAge: Math.floor(ctx.sessions.ttlMs / 1000),
      });
      const o = principal.operator;
      return { operator: { id: o.id, roles: o.roles, ...(o.name ? { name: o.name } : {}), ...(o.team ? { team: o.team } : {}) }, allowed: allowedActions(o), expiresAt, token };
    },
  );

  app.get(
    '/api/session',
    { schema: { summary: 'Who is logged in, and which actions the role allows', tags: ['session'], response: { 200: api.SessionSchema, 401: ErrorBodySchema } } },
    async (req) => {
      const o = req.operator!;
      return { operator: { id: o.id, roles: o.roles, ...(o.name ? { name: o.name } : {}), ...(o.team ? { team: o.team } : {}) }, allowed: allowedActions(o) };
    },
  );

  app.delete(
    '/api/session',
    { config: { public: true }, schema: { summary: 'Log out: revokes the session token and clears the cookie', tags: ['session'], response: { 200: z.object({ ok: z.boolean() }) } } },
    async (req, reply) => {
      const c = credentialsOf(req.headers.authorization, req.cookies?.[SESSION_COOKIE]);
      if (c.scheme === 'bearer' || c.scheme === 'cookie') ctx.sessions.revoke(c.token);
      void reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return { ok: true };
    },
  );

  app.get(
    '/api/console/config',
    { config: { public: true }, schema: { summary: "The console's settings: where browsers reach MQTT over WebSocket", tags: ['session'], security: [], response: { 200: api.ConsoleConfigSchema } } },
    async () => ({ mqtt: ctx.mqtt(), demo: ctx.registry.demo }),
  );

  app.get(
    '/api/silences',
    {
      config: { action: 'silences:read' },
      schema: { summary: 'Silences (by default only those not yet expired)', tags: ['silences'], querystring: api.SilencesQuerySchema, response: { 200: api.SilenceListSchema, 401: ErrorBodySchema } },
    },
    async (req) => {
      const t = ctx.now();
      return { silences: ctx.silences().values().filter((s) => req.query.all || s.endsAt > t) };
    },
  );

  app.post(
    '/api/silences',
    {
      config: { action: 'silences:write' },
      schema: {
        summary: 'Create a silence (maintenance window) by device, kind, site and/or rule',
        tags: ['silences'],
        body: api.SilenceBodySchema,
        response: { 201: z.object({ silence: SilenceSchema }), 400: ErrorBodySchema, 401: ErrorBodySchema },
      },
    },
    async (req, reply) => {
      const t = ctx.now();
      const b = req.body;
      const startsAt = b.startsAt ?? t;
      const parsed = SilenceSchema.safeParse({
        id: `sil-${randomUUID()}`,
        match: b.match,
        startsAt,
        endsAt: b.durationMinutes !== undefined ? startsAt + Math.round(b.durationMinutes * 60_000) : b.endsAt,
        createdBy: req.operator!.id,
        createdAt: t,
        ...(b.comment !== undefined ? { comment: b.comment } : {}),
      });
      if (!parsed.success) {
        const fields = parsed.error.issues.map((i) => i.path.join('.') || '(body)');
        throw new HttpError(400, 'GANZHI_ERR_API_BAD_REQUEST', parsed.error.issues.map((i, n) => `body ${fields[n]}: ${i.message}`).join('; '), fields);
      }
      const limit = silenceLimitMinutes(req.operator!.roles, ctx.silenceMaxMinutes);
      const asked = (parsed.data.endsAt - Math.max(parsed.data.startsAt, t)) / 60_000;
      if (limit !== undefined && asked > limit) {
        const reason = `a silence of ${Math.ceil(asked)} minutes exceeds the ${limit} minutes ${req.operator!.id} may set (GANZHI_SILENCE_MAX_MINUTES)`;
        ctx.refuse(req.operator!.id, 'silences.unlimited', JSON.stringify(parsed.data.match), reason);
        throw new HttpError(403, 'GANZHI_ERR_API_FORBIDDEN', reason);
      }
      await ctx.bus.publish('ganzhi.silences.v1', [{ key: parsed.data.id, value: { id: parsed.data.id, action: 'set', silence: parsed.data, actor: req.operator!.id, at: t } }]);
      return reply.code(201).send({ silence: parsed.data });
    },
  );

  app.delete(
    '/api/silences/:id',
    {
      config: { action: 'silences:delete' },
      schema: { summary: 'End a silence', tags: ['silences'], params: api.SilenceIdParamsSchema, response: { 200: z.object({ deleted: z.string() }), 404: ErrorBodySchema } },
    },
    async (req) => {
      const { id } = req.params;
      if (!ctx.silences().get(id)) throw new HttpError(404, 'GANZHI_ERR_API_NOT_FOUND', `no such silence "${id}"`);
      await ctx.bus.publish('ganzhi.silences.v1', [{ key: id, value: { id, action: 'delete', actor: req.operator!.id, at: ctx.now() } }]);
      return { deleted: id };
    },
  );
}
