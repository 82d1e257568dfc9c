import * as http from 'node:http';
import * as https from 'node:https';
import { GanzhiError } from '@ganzhi/schemas';
import { execRecords, type ExecRecord } from './parse';

export interface ExecClientOptions {
  /** Base URL, e.g. http://127.0.0.1:9000 */
  url: string;
  username?: string;
  password?: string;
  token?: string;
  tlsVerify?: boolean;
  timeoutMs: number;
}

export interface ExecClient {
  /** Runs one statement; SELECT rows come back as records, DDL as []. */
  query(sql: string): Promise<ExecRecord[]>;
  /** The ILP protocol version to write with, from `/settings`. */
  protocolVersion(): Promise<'1' | '2' | '3'>;
  close(): void;
}

/** The Authorization header QuestDB's HTTP endpoints accept (token wins, as in the ILP client). */
export function authHeader(o: Pick<ExecClientOptions, 'username' | 'password' | 'token'>): string | undefined {
  if (o.token) return `Bearer ${o.token}`;
  if (o.username && o.password) return `Basic ${Buffer.from(`${o.username}:${o.password}`).toString('base64')}`;
  return undefined;
}

function unavailable(detail: string, cause?: unknown): GanzhiError {
  return new GanzhiError('GANZHI_ERR_STORE_UNAVAILABLE', detail, { cause });
}

/**
 * Maps an `/exec` HTTP answer to records or a typed error: 5xx (and 408/429) are transient
 * (GANZHI_ERR_STORE_UNAVAILABLE), any other non-200 is the statement's fault
 * (GANZHI_ERR_STORE_QUERY, with QuestDB's `error` and `position` when it sent them).
 */
export function decodeExecResponse(status: number, text: string): ExecRecord[] {
  let body: unknown;
  try {
    body = text.length ? JSON.parse(text) : {};
  } catch {
    body = undefined;
  }
  if (status >= 500 || status === 408 || status === 429) {
    throw unavailable(`HTTP ${status}: ${text.slice(0, 200)}`);
  }
  if (status !== 200) {
    const b = body as { error?: unknown; position?: unknown } | undefined;
    const detail =
      typeof b?.error === 'string'
        ? `${b.error}${typeof b.position === 'number' ? ` (at ${b.position})` : ''}`
        : `HTTP ${status}: ${text.slice(0, 200)}`;
    throw new GanzhiError('GANZHI_ERR_STORE_QUERY', detail, { details: { status } });
  }
  if (body === undefined) throw new GanzhiError('GANZHI_ERR_STORE_QUERY', 'response is not JSON');
  const b = body as { dataset?: unknown; error?: unknown };
  if (b.dataset === undefined && b.error === undefined) return []; // {"ddl":"OK"}, {"dml":"OK"}
  return execRecords(body);
}

/**
 * The ILP protocol version to use from a `/settings` answer: the highest this client speaks (3,
 * then 2) among `line.proto.support.versions`, else 1 — the rule of the client's own 'auto', done
 * here so that the request carries the credentials and uses no extra HTTP stack.
 */
export function pickProtocolVersion(settings: unknown): '1' | '2' | '3' {
  const config = (settings as { config?: Record<string, unknown> } | null)?.config;
  const raw = config?.['line.proto.support.versions'];
  const versions = Array.isArray(raw) ? raw.map(String) : [];
  if (versions.includes('3')) return '3';
  if (versions.includes('2')) return '2';
  return '1';
}

/** A small client for `/exec` (and `/settings`) on node:http(s) with keep-alive. */
export function createExecClient(o: ExecClientOptions): ExecClient {
  const base = new URL(o.url);
  const secure = base.protocol === 'https:';
  const agent = secure
    ? new https.Agent({ keepAlive: true, maxSockets: 8, rejectUnauthorized: o.tlsVerify !== false })
    : new http.Agent({ keepAlive: true, maxSockets: 8 });
  const auth = authHeader(o);
  const prefix = base.pathname.replace(/\/+$/, '');

  /**
   * A kept-alive socket the server closed just as it was reused fails with ECONNRESET/EPIPE before
   * any answer: every request the adapter sends is idempotent (SELECT, CREATE/DROP … IF [NOT]
   * EXISTS, /settings), so that case is retried once on a fresh connection.
   */
  async function get(path: string): Promise<{ status: number; text: string }> {
    try {
      return await once(path);
    } catch (err) {
      const code = (err as GanzhiError).cause && ((err as GanzhiError).cause as { code?: unknown }).code;
      if (code === 'ECONNRESET' || code === 'EPIPE') return once(path);
      throw err;
    }
  }

  function once(path: string): Promise<{ status: number; text: string }> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (auth) headers['authorization'] = auth;
    return new Promise((resolve, reject) => {
      const req = (secure ? https : http).request(
        {
          protocol: base.protocol,
          hostname: base.hostname,
          port: base.port || (secure ? 443 : 80),
          path: `${prefix}${path}`,
          method: 'GET',
          headers,
          agent,
          timeout: o.timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', (err) => reject(unavailable('response interrupted', err)));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        },
      );
      req.on('timeout', () => req.destroy(unavailable(`no answer within ${o.timeoutMs} ms`)));
      req.on('error', (err) => reject(err instanceof GanzhiError ? err : unavailable(err.message, err)));
      req.end();
    });
  }

  return {
    async query(sql) {
      const { status, text } = await get(`/exec?query=${encodeURIComponent(sql)}`);
      return decodeExecResponse(status, text);
    },
    async protocolVersion() {
      const { status, text } = await get('/settings');
      if (status === 404) return '1'; // a server older than /settings speaks ILP v1
      if (status >= 500 || status === 408 || status === 429) throw unavailable(`/settings: HTTP ${status}`);
      if (status !== 200) throw new GanzhiError('GANZHI_ERR_STORE_QUERY', `/settings: HTTP ${status}: ${text.slice(0, 200)}`);
      try {
        return pickProtocolVersion(JSON.parse(text));
      } catch {
        throw new GanzhiError('GANZHI_ERR_STORE_QUERY', '/settings: response is not JSON');
      }
    },
    close: () => agent.destroy(),
  };
}
