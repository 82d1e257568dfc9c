/**
 * Who may do what: operator roles and the actions they allow, as pure data and functions (no
 * I/O). Every entry point asks the same question — `allows(roles, action)` — with the action
 * named by the tables below: HTTP routes (`httpAction`), MQTT subscriptions (`subscribeAction`)
 * and alert commands from any path (`commandAction`).
 *
 * Roles are cumulative, lowest to highest: an operator may do what a viewer may, and so on.
 *   viewer      reads alerts, readings and silences
 *   operator    + acknowledges, dispatches and resolves alerts
 *   supervisor  + closes alerts, sets and removes silences (up to a configured maximum length),
 *                 verifies the audit trail
 *   admin       everything: + device taps (`devices/#`), silences of any length, stats,
 *                 the signed audit checkpoint
 */
export const ROLES = ['viewer', 'operator', 'supervisor', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** Every action the policy knows, with the lowest role that may perform it. */
export const ACTIONS = {
  'alerts.read': 'viewer',
  'readings.read': 'viewer',
  'silences.read': 'viewer',
  'alerts.acknowledge': 'operator',
  'alerts.dispatch': 'operator',
  'alerts.resolve': 'operator',
  'alerts.close': 'supervisor',
  'silences.create': 'supervisor',
  'silences.delete': 'supervisor',
  'audit.verify': 'supervisor',
  /** A silence longer than the configured maximum (GANZHI_SILENCE_MAX_MINUTES). */
  'silences.unlimited': 'admin',
  'audit.checkpoint': 'admin',
  'stats.read': 'admin',
  /** Subscribing to device traffic (`devices/...`). */
  'devices.tap': 'admin',
} as const satisfies Record<string, Role>;
export type Action = keyof typeof ACTIONS;
export const ACTION_NAMES = Object.keys(ACTIONS) as Action[];

const rank = (r: Role): number => ROLES.indexOf(r);

/** The highest role among `roles` (a registry entry may list several), or undefined for none. */
export function highestRole(roles: readonly string[]): Role | undefined {
  let best: Role | undefined;
  for (const r of roles) {
    if ((ROLES as readonly string[]).includes(r) && (best === undefined || rank(r as Role) > rank(best))) best = r as Role;
  }
  return best;
}

/** Whether an operator holding `roles` may perform `action`. */
export function allows(roles: readonly string[], action: Action): boolean {
  const role = highestRole(roles);
  return role !== undefined && rank(role) >= rank(ACTIONS[action]);
}

/** Alert commands (ack, dispatch, resolve, close) and the action each needs. */
export function commandAction(action: 'acknowledge' | 'dispatch' | 'resolve' | 'close'): Action {
  return `alerts.${action}`;
}

/**
 * The HTTP route table: method, path pattern and the action the route needs. `GET /healthz` is
 * open (not listed). A route missing here is refused (the API's check fails closed).
 */
export const HTTP_ROUTES: ReadonlyArray<{ method: string; path: RegExp; route: string; action: Action }> = [
  { method: 'GET', path: /^\/api\/readings\/latest$/, route: 'GET /api/readings/latest', action: 'readings.read' },
  { method: 'GET', path: /^\/api\/readings\/range$/, route: 'GET /api/readings/range', action: 'readings.read' },
  { method: 'GET', path: /^\/api\/alerts$/, route: 'GET /api/alerts', action: 'alerts.read' },
  { method: 'GET', path: /^\/api\/alerts\/[^/]+$/, route: 'GET /api/alerts/{alertId}', action: 'alerts.read' },
  { method: 'POST', path: /^\/api\/alerts\/[^/]+\/acknowledge$/, route: 'POST /api/alerts/{alertId}/acknowledge', action: 'alerts.acknowledge' },
  { method: 'POST', path: /^\/api\/alerts\/[^/]+\/dispatch$/, route: 'POST /api/alerts/{alertId}/dispatch', action: 'alerts.dispatch' },
  { method: 'POST', path: /^\/api\/alerts\/[^/]+\/resolve$/, route: 'POST /api/alerts/{alertId}/resolve', action: 'alerts.resolve' },
  { method: 'POST', path: /^\/api\/alerts\/[^/]+\/close$/, route: 'POST /api/alerts/{alertId}/close', action: 'alerts.close' },
  { method: 'GET', path: /^\/api\/silences$/, route: 'GET /api/silences', action: 'silences.read' },
  { method: 'POST', path: /^\/api\/silences$/, route: 'POST /api/silences', action: 'silences.create' },
  { method: 'DELETE', path: /^\/api\/silences\/[^/]+$/, route: 'DELETE /api/silences/{id}', action: 'silences.delete' },
  { method: 'GET', path: /^\/api\/audit\/verify$/, route: 'GET /api/audit/verify', action: 'audit.verify' },
  { method: 'POST', path: /^\/api\/audit\/verify$/, route: 'POST /api/audit/verify', action: 'audit.verify' },
  { method: 'GET', path: /^\/api\/audit\/checkpoint$/, route: 'GET /api/audit/checkpoint', action: 'audit.checkpoint' },
  { method: 'GET', path: /^\/api\/stats$/, route: 'GET /api/stats', action: 'stats.read' },
];

/** The action an HTTP request needs, or undefined when no route matches. */
export function httpAction(method: string, pathname: string): Action | undefined {
  return HTTP_ROUTES.find((r) => r.method === method && r.path.test(pathname))?.action;
}

/**
 * The action an operator's MQTT subscription needs: `alerts/...` and `escalations/...` are alert
 * reads, `devices/...` is a tap, and its own `ops/{ownId}/...` replies need only to be an
 * operator of any role ('alerts.read'). Undefined: no role may subscribe there (including `$SYS`
 * and wildcards above these prefixes). Topic-shape checks (isWithin) are the gateway's.
 */
export type SubscribeTarget = 'alerts' | 'escalations' | 'devices' | 'own-replies';
export function subscribeAction(target: SubscribeTarget): Action {
  return target === 'devices' ? 'devices.tap' : 'alerts.read';
}

/** The longest silence `roles` may set, in minutes (undefined = no limit beyond the schema's). */
export function silenceLimitMinutes(roles: readonly string[], maxMinutes: number): number | undefined {
  return allows(roles, 'silences.unlimited') ? undefined : maxMinutes;
}
