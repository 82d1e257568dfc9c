import type { AlertChange } from '@ganzhi/schemas';
import { compareScenario, type Comparison } from '../compare';
import { planScenario, type Plan } from '../plan';
import type { Scenario } from '../scenario/schema';
import { executePlan, type ExecuteResult, type Pacer, type RunProgress } from './execute';
import { DEFAULT_PASSWORD_TEMPLATE, createFleet, passwordFrom, type Fleet, type FleetStats } from './fleet';
import { createLinkFleet, linkOf, mixFleets, type LinkDevice, type LinkPorts } from './links';
import { watchAlerts } from './watch';

export interface RunScenarioOptions {
  readonly scenario: Scenario;
  /** MQTT URL of the gateway, e.g. mqtt://127.0.0.1:1883. */
  readonly url: string;
  readonly pacer: Pacer;
  /** Epoch ms of t = 0; default the scenario's `start`. */
  readonly start?: number;
  readonly seed?: number;
  /** Device passwords (a device's own `password` in the scenario wins); default `demo-{id}`. */
  readonly password?: (id: string) => string;
  /** The operator that watches `alerts/#`. */
  readonly operator: { readonly username: string; readonly password: string };
  /** Runs after the last action and before the comparison (let the last alerts arrive). */
  readonly settle?: () => Promise<void>;
  readonly onProgress?: (p: RunProgress & { alerts: number }) => void;
  readonly signal?: AbortSignal;
  readonly maxInFlight?: number;
  /** Status messages and last wills (default true); see FleetOptions.status. */
  readonly status?: boolean;
  /** Where the protocol listeners are, for devices that do not speak MQTT (a UITD, `transport: "tcp"`). */
  readonly links?: { readonly host: string; readonly ports: LinkPorts };
}

export interface ScenarioRun {
  readonly plan: Plan;
  readonly execution: ExecuteResult;
  readonly fleet: Readonly<FleetStats>;
  /** Alert changes the operator received during the run. */
  readonly changes: readonly AlertChange[];
  readonly comparison: Comparison;
}

/**
 * Runs a scenario against a gateway over real MQTT: plans it, watches `alerts/#` as an operator,
 * drives the devices at the pacer's times, then compares the alerts received with the expected
 * ones.
 */
export async function runScenario(options: RunScenarioOptions): Promise<ScenarioRun> {
  const { scenario } = options;
  const plan = planScenario(scenario, { ...(options.start !== undefined ? { start: options.start } : {}), ...(options.seed !== undefined ? { seed: options.seed } : {}) });
  const own = new Map(scenario.devices.filter((d) => d.password !== undefined).map((d) => [d.id, d.password!]));
  const fallback = options.password ?? passwordFrom(DEFAULT_PASSWORD_TEMPLATE);
  const watcher = await watchAlerts(options.url, options.operator.username, options.operator.password);
  const password = (id: string) => own.get(id) ?? fallback(id);
  const fleet = scenarioFleet(scenario, createFleet({ url: options.url, password, status: options.status ?? true }), password, options.links);
  try {
    const execution = await executePlan(plan, {
      fleet,
      pacer: options.pacer,
      ...(options.maxInFlight !== undefined ? { maxInFlight: options.maxInFlight } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      onProgress: (p) => options.onProgress?.({ ...p, alerts: watcher.changes().length }),
    });
    await options.settle?.();
    const changes = [...watcher.changes()];
    return { plan, execution, fleet: { ...fleet.stats() }, changes, comparison: compareScenario(scenario, plan.start, changes) };
  } finally {
    await fleet.close();
    await watcher.close();
  }
}

/**
 * The scenario's devices: MQTT ones through `mqtt`, those that speak HJ 212 / SL 651 over TCP or
 * GB/T 26875.3 through the protocol listeners (which must then be given).
 */
export function scenarioFleet(scenario: Pick<Scenario, 'devices'>, mqtt: Fleet, password: (id: string) => string, links?: { host: string; ports: LinkPorts }): Fleet {
  const linked = new Map<string, LinkDevice>();
  for (const d of scenario.devices) {
    const l = linkOf(d);
    if (l) linked.set(d.id, l);
  }
  if (linked.size === 0) return mqtt;
  if (!links) throw new Error(`devices ${[...linked.keys()].join(', ')} speak a protocol of their own: give the protocol listeners' ports`);
  return mixFleets(mqtt, createLinkFleet({ host: links.host, ports: links.ports, devices: linked, password }), (id) => linked.has(id));
}
