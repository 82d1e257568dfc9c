import type { FastifyBaseLogger, FastifyInstance, RawReplyDefaultExpression, RawRequestDefaultExpression, RawServerDefault } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Bus, KeyedView } from '@ganzhi/bus';
import type { Logger } from '@ganzhi/log';
import type { Operator, Registry } from '@ganzhi/registry';
import type { RuleFile } from '@ganzhi/rules';
import type { AuditKeyring } from '@ganzhi/alerts';
import type { AlertChange, AuditHead, CommandResult, ConnectionChange, Silence, api } from '@ganzhi/schemas';
import type { Store } from '@ganzhi/store';
import type { ApiAction, Sessions } from './auth';
import type { DeadLetterView } from './deadletters';
import type { IngestSampler } from './ingest-rate';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** What the route does, checked against the operator's role by the one auth hook. */
    action?: ApiAction;
    /** Open to anyone (health, login, the console's files, the OpenAPI description). */
    public?: boolean;
  }
  interface FastifyRequest {
    /** The authenticated operator (set by the auth hook on every non-public route). */
    operator?: Operator;
  }
}

export type App = FastifyInstance<RawServerDefault, RawRequestDefaultExpression<RawServerDefault>, RawReplyDefaultExpression<RawServerDefault>, FastifyBaseLogger, ZodTypeProvider>;

/** What the routes share: the peers, and the views the API keeps of the bus. */
export interface RouteContext {
  store: Store;
  registry: Registry;
  bus: Bus;
  log: Logger;
  now: () => number;
  sessions: Sessions;
  secureCookies: boolean;
  instanceId: string;
  commandTimeoutMs: number;
  ruleFiles: readonly RuleFile[];
  silences: () => KeyedView<Silence>;
  /** Each device's last connect or disconnect, as the gateways saw it. */
  connections: () => KeyedView<ConnectionChange>;
  deadLetters: () => DeadLetterView;
  ingest: () => IngestSampler;
  waiting: Map<string, (r: CommandResult) => void>;
  stats?: () => unknown;
  mqtt: () => { port?: number; url?: string };
  /** Records a refused action (who tried what) on `ganzhi.audit.v1`; never fails the request. */
  refuse(actor: string, action: string, target: string, reason: string): void;
  /** The audit keyring (verification and exported checkpoints need it) and the signed chain heads. */
  keyring?: AuditKeyring;
  heads: () => readonly AuditHead[];
  /** The longest silence a supervisor may set (admins are not limited). */
  silenceMaxMinutes: number;
  /** The notifications of an alert with their delivery attempts (the notifier, when it runs in this process). */
  notifications?: (alertId: string) => api.NotificationRecordOut[];
}

/** The current state of every alert in the newest `limit` changes (one entry per alert, its latest change). */
export async function currentAlerts(store: Store, query: { deviceId?: string; from?: number; to?: number; limit?: number } = {}): Promise<AlertChange[]> {
  const history = await store.alertHistory({ limit: 10_000, ...query });
  const latest = new Map<string, AlertChange>();
  for (const c of history) {
    const prev = latest.get(c.alertId);
    if (!prev || prev.seq < c.seq) latest.set(c.alertId, c);
  }
  return [...latest.values()];
}
