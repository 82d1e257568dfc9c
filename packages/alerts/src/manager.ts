import type { AlertChange, Command, Signal } from '@ganzhi/schemas';

/**
 * The alert lifecycle as a pure core (no I/O, no clock: times come from the inputs). The alerts
 * service feeds it signals and operator commands and publishes the changes it returns.
 *
 * State is per device (alerts of one device live together, keyed like every record of that
 * device) and JSON-serialisable, so the service keeps it in a state log.
 */
export interface AlertsCore {
  /** A rule raised or cleared a condition: open, upgrade/downgrade in place, clear, reactivate. */
  onSignal(state: DeviceAlertsState | undefined, signal: Signal): AlertsOutcome;
  /**
   * An authenticated operator action. A refused action (unknown alert, transition not allowed)
   * comes back as `refused` with a GANZHI_ERR_ALERT_* code and a reason, and no state change.
   */
  onCommand(state: DeviceAlertsState | undefined, command: Command): AlertsOutcome;
  /** Time-driven transitions at `now` (escalation of unacknowledged alerts). */
  tick(state: DeviceAlertsState | undefined, now: number): AlertsOutcome;
}

export interface AlertsOutcome {
  state: DeviceAlertsState;
  changes: AlertChange[];
  refused?: { code: 'GANZHI_ERR_ALERT_NOT_FOUND' | 'GANZHI_ERR_ALERT_TRANSITION' | 'GANZHI_ERR_ALERT_FORBIDDEN'; reason: string };
}

/** The alerts of one device that are not closed, by alert id, plus what is needed to continue. */
export interface DeviceAlertsState {
  /** Open (not closed) alerts by alert id: the latest change of each. */
  alerts: Record<string, AlertChange>;
}
