import type { Logger } from '@ganzhi/log';
import { GanzhiError } from '@ganzhi/schemas';
import type { RetentionPolicy } from '../store';
import type { FlushPolicy, RetryPolicy } from './policy';
import type { Clock } from './writer';

export interface QuestDbStoreOptions {
  /** QuestDB HTTP endpoint (ILP /write and SQL /exec share it), e.g. http://127.0.0.1:9000. */
  url: string;
  /** HTTP basic auth (QuestDB Enterprise, or OSS with http.user/http.password). */
  username?: string;
  password?: string;
  /** Bearer token (REST token); takes precedence over username/password. */
  token?: string;
  /** For https URLs: verify the server certificate (default true). */
  tlsVerify?: boolean;
  /** Flush once this many rows are pending (default 1000). */
  autoFlushRows?: number;
  /** Flush pending rows at the latest this long after the oldest arrived (default 500 ms). */
  flushIntervalMs?: number;
  /** Writers wait while this many rows are pending (default 10 × autoFlushRows). */
  maxPendingRows?: number;
  /** Backoff for failed flushes (default 100 ms doubling to 5 s, never giving up). */
  retry?: { initialMs: number; maxMs: number; maxAttempts?: number };
  /** Timeout of one HTTP request (ILP request_timeout and retry_timeout, /exec) (default 10 s). */
  requestTimeoutMs?: number;
  /**
   * Wait after each flush until QuestDB's WAL apply has made the rows visible to queries (the
   * Store contract: "a write resolves once the rows are durable and visible"). Default true.
   */
  awaitVisible?: boolean;
  /** Upper bound of that wait; rows stay durable if it passes (default 10 s). */
  visibleTimeoutMs?: number;
  /** Retries of the table DDL at open while QuestDB is unreachable (default 8). */
  openAttempts?: number;
  /** ILP protocol version: 'auto' reads the server's /settings at open (default 'auto'). */
  protocolVersion?: 'auto' | '1' | '2' | '3';
  logger?: Logger;
  /** Prefix of both table names, [A-Za-z0-9_] (default ''): readings, alert_events. */
  tablePrefix?: string;
  /** How long readings and rollups are kept (default DEFAULT_RETENTION; whole days on QuestDB). */
  retention?: RetentionPolicy;
  /** For tests: the writer's clock. */
  clock?: Clock;
}

export interface ResolvedEndpoint {
  protocol: 'http' | 'https';
  host: string;
  port: number;
  /** Normalised base URL with an explicit port. */
  url: string;
}

export interface ResolvedOptions {
  endpoint: ResolvedEndpoint;
  flush: FlushPolicy;
  retry: RetryPolicy;
  requestTimeoutMs: number;
  awaitVisible: boolean;
  visibleTimeoutMs: number;
  openAttempts: number;
}

function cfg(detail: string): GanzhiError {
  return new GanzhiError('GANZHI_ERR_CFG_INVALID', detail);
}

function positiveInt(name: string, v: number | undefined, def: number, min = 1): number {
  if (v === undefined) return def;
  if (!Number.isSafeInteger(v) || v < min) throw cfg(`${name} must be an integer >= ${min}`);
  return v;
}

/** http(s)://host[:port] -> endpoint; the port defaults to 9000, QuestDB's HTTP port (as in the ILP client). */
export function resolveEndpoint(url: string): ResolvedEndpoint {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw cfg(`QUESTDB_URL is not a URL: ${url}`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw cfg('QUESTDB_URL must be http:// or https://');
  if (u.hostname === '') throw cfg('QUESTDB_URL has no host');
  const protocol = u.protocol === 'https:' ? 'https' : 'http';
  // URL drops a port equal to the scheme's default (https://h:443 -> ''), so read it from the text
  const explicit = /^[a-z]+:\/\/(?:[^@/?#]*@)?(?:\[[^\]]*\]|[^/:?#]*):(\d+)/i.exec(url.trim())?.[1];
  const port = explicit ? Number(explicit) : 9000;
  const host = u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname;
  return { protocol, host, port, url: `${protocol}://${u.hostname}:${port}` };
}

export function resolveOptions(o: QuestDbStoreOptions): ResolvedOptions {
  const autoFlushRows = positiveInt('autoFlushRows', o.autoFlushRows, 1000);
  const retry = o.retry ?? { initialMs: 100, maxMs: 5000 };
  if (!(retry.initialMs > 0) || !(retry.maxMs >= retry.initialMs)) throw cfg('retry needs 0 < initialMs <= maxMs');
  if (retry.maxAttempts !== undefined) positiveInt('retry.maxAttempts', retry.maxAttempts, 1);
  return {
    endpoint: resolveEndpoint(o.url),
    flush: {
      autoFlushRows,
      flushIntervalMs: positiveInt('flushIntervalMs', o.flushIntervalMs, 500, 0),
      maxPendingRows: positiveInt('maxPendingRows', o.maxPendingRows, autoFlushRows * 10),
    },
    retry,
    requestTimeoutMs: positiveInt('requestTimeoutMs', o.requestTimeoutMs, 10_000),
    awaitVisible: o.awaitVisible ?? true,
    visibleTimeoutMs: positiveInt('visibleTimeoutMs', o.visibleTimeoutMs, 10_000, 0),
    openAttempts: positiveInt('openAttempts', o.openAttempts, 8),
  };
}

/** A config-string value: ';' is escaped by doubling it. */
function confValue(v: string): string {
  return v.replaceAll(';', ';;');
}

/**
 * The ILP/HTTP Sender's configuration string. Auto-flush is off: the adapter's writer decides
 * when to flush (by rows and by its own timer) and re-sends a failed batch from its own queue,
 * because the Sender drops its buffer when a flush fails.
 */
export function senderConfig(o: QuestDbStoreOptions, r: ResolvedOptions, protocolVersion: '1' | '2' | '3' | 'auto' = o.protocolVersion ?? 'auto'): string {
  const e = r.endpoint;
  const parts = [
    `${e.protocol}::addr=${e.host}:${e.port}`,
    // Node's http transport, not the default undici one: with undici (client 4.2) a flush to a
    // server that refuses connections never settles (its RetryAgent retries forever and the
    // retry_timeout abort does not stop it), so the writer could neither back off nor close.
    // The http transport fails such a flush at once and the writer's backoff takes over.
    'stdlib_http=on',
    'auto_flush=off',
    `request_timeout=${r.requestTimeoutMs}`,
    // the client retries 5xx and timeouts until this many ms have passed, then throws
    `retry_timeout=${r.requestTimeoutMs}`,
    `protocol_version=${protocolVersion}`,
  ];
  if (o.token) parts.push(`token=${confValue(o.token)}`);
  else if (o.username && o.password) parts.push(`username=${confValue(o.username)}`, `password=${confValue(o.password)}`);
  if (e.protocol === 'https' && o.tlsVerify === false) parts.push('tls_verify=unsafe_off');
  return `${parts.join(';')};`;
}

/** QUESTDB_URL (default http://127.0.0.1:9000), QUESTDB_USERNAME, QUESTDB_PASSWORD, QUESTDB_TOKEN. */
export function questDbOptionsFromEnv(env: Readonly<Record<string, string | undefined>>): QuestDbStoreOptions {
  const o: QuestDbStoreOptions = { url: env['QUESTDB_URL'] || 'http://127.0.0.1:9000' };
  if (env['QUESTDB_USERNAME']) o.username = env['QUESTDB_USERNAME'];
  if (env['QUESTDB_PASSWORD']) o.password = env['QUESTDB_PASSWORD'];
  if (env['QUESTDB_TOKEN']) o.token = env['QUESTDB_TOKEN'];
  return o;
}
