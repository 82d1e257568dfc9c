import type { Reading, Signal } from '@ganzhi/schemas';
import type { Device } from '@ganzhi/registry';

/**
 * The rule engine's contract with the rules service (services/rules). Pure: no I/O, no clock —
 * time comes in as arguments (the reading's ts, or `now` for ticks), so tests use a fake clock
 * and a replay gives the same signals.
 *
 * State is per device (the bus is keyed by device id, so one evaluator owns each device), and
 * JSON-serialisable: the service stores it in a state log after publishing the signals and
 * before acknowledging the readings, so it survives a restart.
 */
export interface RuleEngine {
  /** Evaluates one reading of `device`; returns the signals it causes and the device's new state. */
  evaluate(reading: Reading, device: Device, state: DeviceRuleState | undefined): RuleOutcome;
  /**
   * Time-driven checks for one device at `now` (absence, hold timers that have run out).
   * Called by the service's sweep (node-cron) for every known device.
   */
  tick(device: Device, state: DeviceRuleState | undefined, now: number): RuleOutcome;
  /** Ids of the compiled rules, for logs and the API. */
  readonly ruleIds: readonly string[];
}

export interface RuleOutcome {
  signals: Signal[];
  /** The new state; `unchanged: true` lets the service skip writing it. */
  state: DeviceRuleState;
  unchanged?: boolean;
}

/** Opaque, JSON-serialisable per-device rule state (validated with DeviceRuleStateSchema on restore). */
export type DeviceRuleState = Record<string, unknown>;
