import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import fastifyCookie from '@fastify/cookie';
import fastifyStatic from '@fastify/static';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, { LogController } from 'fastify';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { openKeyedView, type Bus, type KeyedView, type Subscription } from '@ganzhi/bus';
import type { Logger } from '@ganzhi/log';
import type { Registry } from '@ganzhi/registry';
import type { RuleFile } from '@ganzhi/rules';
import { openHeadsView, openSilencesView } from '@ganzhi/runtime';
import { bindError } from '@ganzhi/config';
import type { AuditKeyring } from '@ganzhi/alerts';
import { ConnectionChangeSchema, type AuditHead, type CommandResult, type ConnectionChange, type Refusal, type Silence, type api } from '@ganzhi/schemas';
import type { Store } from '@ganzhi/store';
import { createSessions } from './auth';
import type { App, RouteContext } from './context';
import { openDeadLetterView, type DeadLetterView } from './deadletters';
import { errorHandler } from './errors';
import { installAuth, installMethodCheck } from './hooks';
import { startIngestSampler, type IngestSampler } from './ingest-rate';
import { alertRoutes } from './routes/alerts';
import { dataRoutes } from './routes/data';
import { sessionRoutes } from './routes/session';

export interface ApiDeps {
  store: Store;
  registry: Registry;
  bus: Bus;
  logger: Logger;
  /** Extra figures for /api/stats (stage counters). */
  stats?: () => unknown;
  /** MQTT messages accepted so far by this process's gateway (embedded mode): the overview's ingest rate. */
  accepted?: () => number;
  /** Rule files: threshold bands drawn on device charts. */
  ruleFiles?: readonly RuleFile[];
  /** The notifications of an alert with their delivery attempts (the notifier, when it runs in this process). */
  notifications?: (alertId: string) => api.NotificationRecordOut[];
  /** The audit keyring: verification needs it (and the signed heads) to detect rewrites. */
  keyring?: AuditKeyring;
  now?: () => number;
}

export interface ApiOptions {
  host: string;
  port: number;
  instanceId: string;
  /** How long a POSTed command waits for the alert manager's verdict. */
  commandTimeoutMs?: number;
  /** Serve HTTPS with this certificate and key (PEM). */
  tls?: { cert: Buffer; key: Buffer };
  /** Signs session tokens; default a random key per process. */
  sessionSecret?: string;
  sessionTtlMs?: number;
  /** Where browsers reach MQTT over WebSocket (shown to the console): a full URL, or a port on the console's host (a function: the port bound at start). */
  mqtt?: { port?: number | (() => number); url?: string };
  /** Built console files (index.html and assets); default the console workspace's `dist`. */
  consoleDir?: string;
  /** The longest silence a supervisor may set, minutes (GANZHI_SILENCE_MAX_MINUTES; admins are not limited). */
  silenceMaxMinutes?: number;
}

export interface Api {
  start(): Promise<void>;
  close(): Promise<void>;
  port(): number;
}

export const DEFAULT_CONSOLE_DIR = new URL('../../console/dist', import.meta.url).pathname;

/**
 * The operators' HTTP API on fastify: every route's input and output is a zod schema (validated,
 * serialised and published as OpenAPI at /api/openapi.json, browsable at /api/docs), one hook
 * authenticates (HTTP Basic, a session cookie or a bearer token) and checks the route's declared
 * action, and the web console is served from `/`.
 */
export function buildApi(options: ApiOptions, deps: ApiDeps): Api {
  const log = deps.logger.child({ component: 'api' });
  const now = deps.now ?? Date.now;
  const consoleDir = options.consoleDir ?? DEFAULT_CONSOLE_DIR;
  let silences: KeyedView<Silence> | undefined;
  let connections: KeyedView<ConnectionChange> | undefined;
  let deadLetters: DeadLetterView | undefined;
  let ingest: IngestSampler | undefined;
  let heads: KeyedView<AuditHead> | undefined;
  let sub: Subscription | undefined;
  const waiting = new Map<string, (r: CommandResult) => void>();

  const app = Fastify({
    loggerInstance: log,
    logController: new LogController({ disableRequestLogging: true }), // no per-request logs: counters instead
    bodyLimit: 64 * 1024,
    ...(options.tls ? { https: { cert: options.tls.cert, key: options.tls.key } } : {}),
  }).withTypeProvider<ZodTypeProvider>() as unknown as App;
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(errorHandler(log));

  const ctx: RouteContext = {
    store: deps.store,
    registry: deps.registry,
    bus: deps.bus,
    log,
    now,
    sessions: createSessions({ ...(options.sessionSecret ? { secret: options.sessionSecret } : {}), ttlMs: options.sessionTtlMs ?? 12 * 3600_000, now }),
    secureCookies: Boolean(options.tls),
    instanceId: options.instanceId,
    commandTimeoutMs: options.commandTimeoutMs ?? 10_000,
    ruleFiles: deps.ruleFiles ?? [],
    silences: () => silences!,
    connections: () => connections!,
    deadLetters: () => deadLetters!,
    ingest: () => ingest!,
    waiting,
    ...(deps.stats ? { stats: deps.stats } : {}),
    refuse(actor, action, target, reason) {
      const refusal: Refusal = { id: `api.${options.instanceId}.${randomUUID()}`, at: now(), actor, action, target, via: 'http', code: 'GANZHI_ERR_API_FORBIDDEN', reason };
      deps.bus.publish('ganzhi.audit.v1', [{ key: actor, value: refusal }]).catch((err: unknown) => log.error({ err }, 'recording a refusal failed'));
    },
    ...(deps.keyring ? { keyring: deps.keyring } : {}),
    heads: () => heads?.values() ?? [],
    silenceMaxMinutes: options.silenceMaxMinutes ?? 7 * 24 * 60,
    ...(deps.notifications ? { notifications: deps.notifications } : {}),
    mqtt: () => {
      const m = options.mqtt ?? {};
      const port = typeof m.port === 'function' ? m.port() : m.port;
      return { ...(m.url ? { url: m.url } : {}), ...(port !== undefined ? { port } : {}) };
    },
  };

  void app.register(fastifyCookie);
  void app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Ganzhi operators API', version: '1.0.0', description: 'Readings, alerts and their closed-loop handling, silences, devices, dead letters. Times are accepted as epoch milliseconds or ISO 8601.' },
      components: {
        securitySchemes: {
          basic: { type: 'http', scheme: 'basic' },
          bearer: { type: 'http', scheme: 'bearer' },
          cookie: { type: 'apiKey', in: 'cookie', name: 'ganzhi_session' },
        },
      },
      security: [{ basic: [] }, { bearer: [] }, { cookie: [] }],
    },
    transform: jsonSchemaTransform,
  });
  void app.register(fastifySwaggerUi, { routePrefix: '/api/docs', uiConfig: { url: '/api/openapi.json', validatorUrl: null } });
  installMethodCheck(app);
  installAuth(app, ctx);

  void app.register(async (api) => {
    const a = api as unknown as App;
    a.get('/healthz', { config: { public: true }, schema: { hide: true } }, async () => ({ status: 'ok' }));
    a.get('/api/openapi.json', { config: { public: true }, schema: { hide: true } }, async () => app.swagger());
    sessionRoutes(a, ctx);
    alertRoutes(a, ctx);
    dataRoutes(a, ctx);
  });

  if (existsSync(`${consoleDir}/index.html`)) {
    void app.register(fastifyStatic, { root: consoleDir, prefix: '/', index: ['index.html'], wildcard: true });
  } else {
    app.get('/', { config: { public: true }, schema: { hide: true } }, async (_req, reply) =>
      reply.code(503).type('text/plain; charset=utf-8').send('The console is not built: run `npm run build -w @ganzhi/console` (npm start does it).\n'),
    );
  }

  return {
    port: () => (app.server.address() as AddressInfo | null)?.port ?? 0,
    async start() {
      sub = await deps.bus.subscribe(
        `api.${options.instanceId}`,
        {
          'ganzhi.command-results.v1': async (batch) => {
            for (const { value } of batch) waiting.get(value.commandId)?.(value);
            for (const { value } of batch) waiting.delete(value.commandId);
          },
        },
        { start: 'latest' },
      );
      silences = await openSilencesView(deps.bus, `api.${options.instanceId}`);
      deadLetters = await openDeadLetterView(deps.bus, `api.${options.instanceId}`);
      connections = await openKeyedView(deps.bus, {
        topic: 'ganzhi.connections.v1',
        group: `api.${options.instanceId}.connections`,
        name: `api.${options.instanceId}.connections`,
        toEntry: (c) => ({ key: c.deviceId, value: c }),
        decode: (v) => ConnectionChangeSchema.parse(v),
      });
      heads = await openHeadsView(deps.bus, `api.${options.instanceId}`);
      ingest = startIngestSampler(deps.store, deps.accepted);
      await app.listen({ port: options.port, host: options.host }).catch((err: unknown) => {
        throw bindError(err, 'GANZHI_HTTP_PORT', options.port, options.host);
      });
      log.info({ port: (app.server.address() as AddressInfo).port, https: Boolean(options.tls) }, 'api listening');
    },
    async close() {
      ingest?.close();
      await app.close();
      await sub?.close();
      await silences?.close();
      await deadLetters?.close();
      await connections?.close();
      await heads?.close();
    },
  };
}
