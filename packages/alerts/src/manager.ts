import { GanzhiError } from '@ganzhi/schemas';
import type { AlertChange, Command, Signal } from '@ganzhi/schemas';
import type { AuditKeyring } from './audit-key';
import { applyCommand, commandKey } from './command';
import type { Refusal } from './command';
import { AlertsConfigSchema } from './config';
import type { AlertsConfig, AlertsConfigInput } from './config';
import { begin, finish, remember } from './draft';
import { applySignal, signalKey } from './signal';
import type { Silence } from './silence';
import { digest, emptyState } from './state';
import type { DeviceAlertsState } from './state';
import { applyTick } from './tick';

export type { DeviceAlertsState } from './state';

/** What the service passes in beside the device's state: facts that are not per device. */
export interface AlertsContext {
  /** Current silences (maintenance windows); matched at each change's own time. */
  silences?: readonly Silence[];
}

/**
 * The alert lifecycle as a pure core (no I/O, no clock: times come from the inputs — signal.ts,
 * command.at, tick's now). The alerts service feeds it signals and operator commands and publishes
 * the changes it returns, in order.
 *
 * State is per device (alerts of one device live together, keyed like every record of that
 * device) and JSON-serialisable (DeviceAlertsStateSchema), so the service keeps it in a state log.
 * The same state and input always give the same changes, hashes included, so reprocessing after
 * a crash republishes identical records.
 */
export interface AlertsCore {
  readonly config: AlertsConfig;
  /** A rule raised or cleared a condition: open, upgrade/downgrade in place, clear, reactivate. */
  onSignal(state: DeviceAlertsState | undefined, signal: Signal, ctx?: AlertsContext): AlertsOutcome;
  /**
   * An authenticated operator action. A refused action (unknown alert, transition not allowed)
   * comes back as `refused` with a GANZHI_ERR_ALERT_* code and a reason, and no change.
   */
  onCommand(state: DeviceAlertsState | undefined, command: Command, ctx?: AlertsContext): AlertsOutcome;
  /** Time-driven transitions due at or before `now` (escalation, auto-close). */
  tick(state: DeviceAlertsState | undefined, now: number, ctx?: AlertsContext): AlertsOutcome;
}

export interface AlertsOutcome {
  state: DeviceAlertsState;
  /** One per transition, in order; publish them all before saving `state`. */
  changes: AlertChange[];
  /** The command was not applied. The core never returns GANZHI_ERR_ALERT_FORBIDDEN (roles are the service's). */
  refused?: { code: 'GANZHI_ERR_ALERT_NOT_FOUND' | 'GANZHI_ERR_ALERT_TRANSITION' | 'GANZHI_ERR_ALERT_FORBIDDEN'; reason: string };
  /** Why the input was dropped: seen before (a re-delivery), or malformed (a raise without a level). */
  ignored?: 'duplicate' | 'invalid';
  /** `state` is the input state itself: nothing to save. */
  unchanged?: true;
}

export interface AlertsCoreOptions {
  /** The audit keyring: every change is hashed (HMAC-SHA256) with its current key. */
  keyring?: AuditKeyring;
}

/** Builds the core once per service with its validated configuration (defaults for what is left out). */
export function createAlertsCore(config: AlertsConfigInput = {}, options: AlertsCoreOptions = {}): AlertsCore {
  const { keyring } = options;
  const parsed = AlertsConfigSchema.safeParse(config);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue ? issue.path.join('.') : '';
    throw new GanzhiError('GANZHI_ERR_CFG_INVALID', `alerts.${field}: ${issue?.message ?? 'invalid'}`);
  }
  const cfg = parsed.data;

  function seenBefore(state: DeviceAlertsState | undefined, key: string): AlertsOutcome | undefined {
    return state !== undefined && state.seen.includes(key)
      ? { state, changes: [], ignored: 'duplicate', unchanged: true }
      : undefined;
  }

  return {
    config: cfg,

    onSignal(state, signal, ctx = {}) {
      const key = digest(signalKey(signal));
      const dup = seenBefore(state, key);
      if (dup) return dup;
      const d = begin(state ?? emptyState(), cfg, ctx.silences ?? [], keyring);
      const valid = applySignal(d, signal);
      remember(d, key);
      const out: AlertsOutcome = { state: finish(d), changes: d.changes };
      if (!valid) out.ignored = 'invalid';
      return out;
    },

    onCommand(state, command, ctx = {}) {
      const key = digest(commandKey(command));
      const dup = seenBefore(state, key);
      if (dup) return dup;
      const d = begin(state ?? emptyState(), cfg, ctx.silences ?? [], keyring);
      const refused: Refusal | undefined = applyCommand(d, command);
      remember(d, key);
      const out: AlertsOutcome = { state: finish(d), changes: d.changes };
      if (refused) out.refused = refused;
      return out;
    },

    tick(state, now, ctx = {}) {
      const input = state ?? emptyState();
      const d = begin(input, cfg, ctx.silences ?? [], keyring);
      if (!applyTick(d, now)) return { state: input, changes: [], unchanged: true };
      return { state: finish(d), changes: d.changes };
    },
  };
}
