import { authorize, credentialsOf, operatorOf, policyAction, SESSION_COOKIE } from './auth';
import type { App, RouteContext } from './context';
import { HttpError } from './errors';

/**
 * The one authentication and authorisation hook. Every route under /api that is not declared
 * `public` needs an operator (HTTP Basic for scripts; the session cookie or a bearer token for
 * the console); a route's declared `action` is then checked by `authorize`, the single place
 * that knows what a role may do. It runs on request, before any body is read.
 */
export function installAuth(app: App, ctx: RouteContext): void {
  app.addHook('onRequest', async (req, reply) => {
    const config = req.routeOptions.config;
    if (config.public || !req.routeOptions.url?.startsWith('/api/') || req.routeOptions.url.startsWith('/api/docs')) return;
    const credentials = credentialsOf(req.headers.authorization, req.cookies?.[SESSION_COOKIE]);
    const operator = await operatorOf(credentials, ctx.registry, ctx.sessions);
    if (!operator) {
      // The console asks for a Bearer challenge, so that the browser shows no Basic-auth dialog.
      const fromConsole = req.headers['x-requested-with'] === 'ganzhi-console' || credentials.scheme === 'bearer' || credentials.scheme === 'cookie';
      reply.header('www-authenticate', fromConsole ? 'Bearer realm="ganzhi"' : 'Basic realm="ganzhi", charset="UTF-8"');
      const why = credentials.scheme === 'none' ? 'operator credentials required (HTTP Basic, a session cookie or a bearer token)' : `bad ${credentials.scheme} credentials`;
      throw new HttpError(401, 'GANZHI_ERR_API_AUTH', why);
    }
    req.operator = operator;
    if (config.action) {
      const verdict = authorize(operator, config.action);
      if (!verdict.ok) {
        ctx.refuse(operator.id, policyAction(config.action), `${req.method} ${req.url.split('?')[0]}`, verdict.reason);
        throw new HttpError(403, 'GANZHI_ERR_API_FORBIDDEN', verdict.reason);
      }
    }
  });
  // An empty JSON body (or none) is an empty object: `POST .../acknowledge` needs no body.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, text, done) => {
    const s = (text as string).trim();
    if (!s) return done(null, {});
    try {
      done(null, JSON.parse(s));
    } catch {
      done(new HttpError(400, 'GANZHI_ERR_API_BAD_REQUEST', 'body is not valid JSON', ['(body)']), undefined);
    }
  });
  app.addHook('preValidation', async (req) => {
    if (req.body === undefined && req.routeOptions.schema?.body) req.body = {};
  });
}

/** 404 for a path nobody serves, 405 (with `Allow`) for a path served under other methods. */
export function installMethodCheck(app: App): void {
  const routes: Array<{ methods: string[]; pattern: RegExp }> = [];
  app.addHook('onRoute', (route) => {
    if (route.url === '/*' || route.url === '*') return; // the console's static files
    const pattern = new RegExp(`^${route.url.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/:[A-Za-z0-9_]+/g, '[^/]+').replace(/\*/g, '.*')}$`);
    routes.push({ methods: ([] as string[]).concat(route.method as string | string[]), pattern });
  });
  app.setNotFoundHandler(async (req, reply) => {
    const path = req.url.split('?')[0]!;
    const allow = new Set(routes.filter((r) => r.pattern.test(path)).flatMap((r) => r.methods));
    if (allow.size > 0) {
      reply.header('allow', [...allow].join(', '));
      return reply.code(405).send({ error: { code: 'GANZHI_ERR_API_METHOD', message: `${req.method} not allowed on ${path}; allowed: ${[...allow].join(', ')}` } });
    }
    return reply.code(404).send({ error: { code: 'GANZHI_ERR_API_NOT_FOUND', message: `no route ${req.method} ${path}` } });
  });
}
