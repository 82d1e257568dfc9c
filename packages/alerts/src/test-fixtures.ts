import type { AlertChange, Command, CommandAction, Level, Signal } from '@ganzhi/schemas';
import type { AlertsContext, AlertsCore } from './manager';
import type { DeviceAlertsState } from './state';

/** Test inputs (not exported from the package). */
export const T0 = Date.UTC(2026, 5, 1, 8, 0, 0);
export const MIN = 60_000;

export function raise(level: Level, at: number, over: Partial<Signal> = {}): Signal {
  return {
    deviceId: 'rg-001',
    kind: 'river_gauge',
    site: 'north',
    ruleId: 'water-level',
    state: 'raise',
    level,
    metric: 'level_m',
    value: 4.2,
    threshold: 4,
    ts: at,
    sourceId: `reading-${at}`,
    ...over,
  };
}

export function clear(at: number, over: Partial<Signal> = {}): Signal {
  return {
    deviceId: 'rg-001',
    kind: 'river_gauge',
    site: 'north',
    ruleId: 'water-level',
    state: 'clear',
    value: 3.1,
    ts: at,
    sourceId: `reading-${at}`,
    ...over,
  };
}

export function cmd(
  alertId: string,
  action: CommandAction,
  at: number,
  over: Partial<Command> = {},
): Command {
  return {
    id: `cmd-${action}-${at}`,
    deviceId: 'rg-001',
    alertId,
    action,
    actor: 'op-li',
    via: 'mqtt',
    at,
    ...over,
  };
}

export type Step = Signal | Command | { tick: number };

/** Feeds steps in order; returns the final state and every change. */
export function run(
  core: AlertsCore,
  steps: readonly Step[],
  ctx: AlertsContext = {},
  start?: DeviceAlertsState,
): { state: DeviceAlertsState | undefined; changes: AlertChange[] } {
  let state = start;
  const changes: AlertChange[] = [];
  for (const step of steps) {
    const out =
      'tick' in step
        ? core.tick(state, step.tick, ctx)
        : 'action' in step
          ? core.onCommand(state, step, ctx)
          : core.onSignal(state, step, ctx);
    state = out.state;
    changes.push(...out.changes);
  }
  return { state, changes };
}

/** The only open alert of the state (fails the test when there is not exactly one). */
export function only(state: DeviceAlertsState | undefined): AlertChange {
  const all = Object.values(state?.alerts ?? {});
  if (all.length !== 1) throw new Error(`expected one alert, found ${all.length}`);
  return all[0] as AlertChange;
}
