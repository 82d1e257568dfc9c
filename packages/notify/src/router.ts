import { GanzhiError, SEVERITY, type AlertChange, type Level } from '@ganzhi/schemas';
import type { NotifyLanguage } from '@ganzhi/registry';
import { DEFAULT_EVENTS, type GroupField, type Match, type NotifyEvent, type QuietHours, type RouteInput, type RoutingFile } from './routing';

/** A route with the settings it inherited from its ancestors, ready to match. */
export interface CompiledRoute {
  readonly id: string;
  readonly to: readonly string[];
  readonly groupBy: readonly GroupField[];
  readonly groupWaitMs: number;
  readonly repeatIntervalMs: number;
  readonly events: ReadonlySet<NotifyEvent>;
  readonly quietHours: QuietHours | null;
  readonly language: NotifyLanguage;
  readonly continue: boolean;
  readonly children: readonly CompiledRoute[];
  matches(change: AlertChange): boolean;
}

export interface Router {
  readonly routes: ReadonlyMap<string, CompiledRoute>;
  /**
   * The routes an alert change takes, Alertmanager-style: from the root, the first child that
   * matches is followed (and the next ones too while a matching child says `continue`); a route
   * none of whose children match is itself a destination.
   */
  route(change: AlertChange): CompiledRoute[];
}

function matcher(m: Match | undefined): (c: AlertChange) => boolean {
  if (!m) return () => true;
  const grade = m.grade && new Set<Level>(m.grade);
  const kind = m.kind && new Set<string>(m.kind);
  const site = m.site && new Set(m.site);
  const rule = m.ruleId && new Set(m.ruleId);
  const device = m.deviceId && new Set(m.deviceId);
  const min = m.minGrade ? SEVERITY[m.minGrade] : 0;
  return (c) =>
    (!grade || grade.has(c.level)) &&
    SEVERITY[c.level] >= min &&
    (!kind || kind.has(c.kind)) &&
    (!site || (c.site !== undefined && site.has(c.site))) &&
    (!rule || rule.has(c.ruleId)) &&
    (!device || device.has(c.deviceId));
}

export function compileRouting(file: RoutingFile): Router {
  const all = new Map<string, CompiledRoute>();
  const compile = (r: RouteInput, parent: CompiledRoute | undefined, path: string): CompiledRoute => {
    const id = r.id ?? path;
    const route: CompiledRoute = {
      id,
      to: r.to ?? [],
      groupBy: r.groupBy ?? parent?.groupBy ?? ['site'],
      groupWaitMs: (r.groupWaitSec ?? (parent ? parent.groupWaitMs / 1000 : 30)) * 1000,
      repeatIntervalMs: (r.repeatIntervalMin ?? (parent ? parent.repeatIntervalMs / 60_000 : 0)) * 60_000,
      events: r.events ? new Set(r.events) : (parent?.events ?? new Set(DEFAULT_EVENTS)),
      quietHours: r.quietHours !== undefined ? r.quietHours : (parent?.quietHours ?? null),
      language: r.language ?? parent?.language ?? file.language,
      continue: r.continue ?? false,
      children: [],
      matches: matcher(r.match),
    };
    if (all.has(id)) throw new GanzhiError('GANZHI_ERR_NOTIFY_ROUTES', `duplicate route id "${id}"`);
    all.set(id, route);
    (route as unknown as { children: CompiledRoute[] }).children = (r.routes ?? []).map((c, i) => compile(c, route, `${path}.${i}`));
    return route;
  };
  const root = compile(file.route, undefined, 'root');

  const walk = (node: CompiledRoute, change: AlertChange, out: CompiledRoute[]) => {
    let matchedChild = false;
    for (const child of node.children) {
      if (!child.matches(change)) continue;
      matchedChild = true;
      walk(child, change, out);
      if (!child.continue) break;
    }
    if (!matchedChild) out.push(node);
  };
  return {
    routes: all,
    route(change) {
      const out: CompiledRoute[] = [];
      walk(root, change, out);
      return out;
    },
  };
}
