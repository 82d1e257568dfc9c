import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { allows, type Action, type Operator, type Registry } from '@ganzhi/registry';

/**
 * Every action a route may declare (`config: { action }`); the role check sees only these names.
 * The console asks `GET /api/session` which of them the operator may take.
 */
export const API_ACTIONS = [
  'readings:read',
  'alerts:read',
  'alerts:acknowledge',
  'alerts:dispatch',
  'alerts:resolve',
  'alerts:close',
  'silences:read',
  'silences:write',
  'silences:delete',
  'devices:read',
  'deadletters:read',
  'overview:read',
  'audit:verify',
  'audit:checkpoint',
  'stats:read',
] as const;
export type ApiAction = (typeof API_ACTIONS)[number];

export type Verdict = { ok: true } | { ok: false; reason: string };

/** Each API action as the role policy names it (packages/registry policy.ts). */
const POLICY: Record<ApiAction, Action> = {
  'readings:read': 'readings.read',
  'alerts:read': 'alerts.read',
  'alerts:acknowledge': 'alerts.acknowledge',
  'alerts:dispatch': 'alerts.dispatch',
  'alerts:resolve': 'alerts.resolve',
  'alerts:close': 'alerts.close',
  'silences:read': 'silences.read',
  'silences:write': 'silences.create',
  'silences:delete': 'silences.delete',
  'devices:read': 'readings.read',
  'deadletters:read': 'readings.read',
  'overview:read': 'alerts.read',
  'audit:verify': 'audit.verify',
  'audit:checkpoint': 'audit.checkpoint',
  'stats:read': 'stats.read',
};

/** The policy's name of an API action (what refusals record). */
export const policyAction = (action: ApiAction): Action => POLICY[action];

/** The one place an HTTP action is allowed or refused for an operator: the role policy's table. */
export function authorize(operator: Operator, action: ApiAction): Verdict {
  if (allows(operator.roles, POLICY[action])) return { ok: true };
  return { ok: false, reason: `${operator.id} (roles ${operator.roles.join(', ') || 'none'}) may not ${POLICY[action]}` };
}

export const allowedActions = (operator: Operator) => API_ACTIONS.filter((a) => authorize(operator, a).ok);

export const SESSION_COOKIE = 'ganzhi_session';

/**
 * Browser sessions as signed tokens: `v1.<operatorId>.<expiresAt base36>.<nonce>.<hmac>`. Any API
 * instance holding the same secret accepts them (no shared session store); logging out revokes
 * the token in this instance until it would expire anyway, and the cookie is cleared.
 */
export function createSessions(options: { secret?: string; ttlMs: number; now: () => number }) {
  const key = options.secret ? Buffer.from(options.secret, 'utf8') : randomBytes(32);
  const revoked = new Map<string, number>();
  const sign = (body: string) => createHmac('sha256', key).update(body).digest('base64url');

  return {
    ttlMs: options.ttlMs,
    issue(operatorId: string): { token: string; expiresAt: number } {
      const expiresAt = options.now() + options.ttlMs;
      const body = `v1.${operatorId}.${expiresAt.toString(36)}.${randomBytes(9).toString('base64url')}`;
      return { token: `${body}.${sign(body)}`, expiresAt };
    },
    /** The operator id of a valid, unexpired, unrevoked token, else undefined. */
    verify(token: string): { operatorId: string; expiresAt: number } | undefined {
      const parts = token.split('.');
      if (parts.length !== 5 || parts[0] !== 'v1') return undefined;
      const body = parts.slice(0, 4).join('.');
      const given = Buffer.from(parts[4]!, 'base64url');
      const expected = Buffer.from(sign(body), 'base64url');
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
      const expiresAt = parseInt(parts[2]!, 36);
      if (!(expiresAt > options.now()) || revoked.has(token)) return undefined;
      return { operatorId: parts[1]!, expiresAt };
    },
    revoke(token: string): void {
      const t = options.now();
      for (const [k, exp] of revoked) if (exp <= t) revoked.delete(k);
      const v = this.verify(token);
      if (v) revoked.set(token, v.expiresAt);
    },
  };
}
export type Sessions = ReturnType<typeof createSessions>;

export type Credentials =
  | { scheme: 'basic'; username: string; password: string }
  | { scheme: 'bearer'; token: string }
  | { scheme: 'cookie'; token: string }
  | { scheme: 'none' };

/** What the request presents: an Authorization header (Basic or Bearer) wins over the cookie. */
export function credentialsOf(authorization: string | undefined, cookie: string | undefined): Credentials {
  const basic = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(authorization ?? '');
  if (basic) {
    const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
    const i = decoded.indexOf(':');
    if (i > 0) return { scheme: 'basic', username: decoded.slice(0, i), password: decoded.slice(i + 1) };
  }
  const bearer = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
  if (bearer) return { scheme: 'bearer', token: bearer[1]! };
  if (cookie) return { scheme: 'cookie', token: cookie };
  return { scheme: 'none' };
}

/** The operator behind the credentials, or undefined (devices never use the API). */
export async function operatorOf(credentials: Credentials, registry: Registry, sessions: Sessions): Promise<Operator | undefined> {
  switch (credentials.scheme) {
    case 'basic': {
      const p = await registry.authenticate(credentials.username, credentials.password);
      return p?.type === 'operator' ? p.operator : undefined;
    }
    case 'bearer':
    case 'cookie': {
      const s = sessions.verify(credentials.token);
      return s ? registry.operator(s.operatorId) : undefined;
    }
    case 'none':
      return undefined;
    default: {
      const never: never = credentials;
      throw new Error(`unhandled credentials ${JSON.stringify(never)}`);
    }
  }
}
