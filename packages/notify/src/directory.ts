import type { Receiver, Registry } from '@ganzhi/registry';
import { GanzhiError } from '@ganzhi/schemas';
import type { RoutingFile } from './routing';

/**
 * Every receiver the notifier may use, each under a stable key: `<id>` for the routing file's own,
 * `group:<group>/<id>` for a duty group's, `operator:<operator>/<id>` for an operator's. The key
 * is part of each notification's idempotency key, so it must not change between restarts.
 */
export interface ReceiverDirectory {
  get(key: string): Receiver | undefined;
  keys(): readonly string[];
  /** The receiver keys of a route target (`<id>`, `group:<id>`, `operator:<id>`). */
  target(target: string): readonly string[];
  /** The receivers of whoever an alert was dispatched to: an operator, else a duty group. */
  assignee(assignee: string): readonly string[];
}

export function createReceiverDirectory(file: RoutingFile, registry: Pick<Registry, 'operator' | 'operators' | 'dutyGroup' | 'dutyGroups'>): ReceiverDirectory {
  const byKey = new Map<string, Receiver>();
  const byTarget = new Map<string, string[]>();
  const add = (target: string, prefix: string, receivers: readonly Receiver[]) => {
    const keys = receivers.map((r) => `${prefix}${r.id}`);
    receivers.forEach((r, i) => byKey.set(keys[i]!, r));
    byTarget.set(target, keys);
  };
  for (const r of file.receivers) add(r.id, '', [r]);
  for (const o of registry.operators()) add(`operator:${o.id}`, `operator:${o.id}/`, o.receivers ?? []);
  for (const g of registry.dutyGroups()) add(`group:${g.id}`, `group:${g.id}/`, g.receivers);

  // A route naming an operator or group the registry does not know is a configuration error.
  const walk = (r: RoutingFile['route'], path: string) => {
    for (const t of r.to ?? []) {
      if (!byTarget.has(t)) throw new GanzhiError('GANZHI_ERR_NOTIFY_ROUTES', `${path}.to: "${t}" is not in the registry`);
    }
    r.routes?.forEach((c, i) => walk(c, `${path}.routes.${i}`));
  };
  walk(file.route, 'route');

  return {
    get: (key) => byKey.get(key),
    keys: () => [...byKey.keys()],
    target: (t) => byTarget.get(t) ?? [],
    assignee: (a) => byTarget.get(`operator:${a}`) ?? byTarget.get(`group:${a}`) ?? [],
  };
}
