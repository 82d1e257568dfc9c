import {
  AlertChangeSchema,
  type AlertChange,
  type AlertEventType,
  type AlertStatus,
  type DeviceKind,
  type Level,
  type Quality,
  type Reading,
} from '@ganzhi/schemas';

/** Metrics (name -> unit) a device of each kind reports: four to six each. */
export const KIND_METRICS: Readonly<Record<DeviceKind, Readonly<Record<string, string>>>> = {
  river_gauge: { water_level: 'm', rain_1h: 'mm', flow: 'm3/s', battery: 'V' },
  air_monitor: { pm25: 'ug/m3', pm10: 'ug/m3', no2: 'ug/m3', o3: 'ug/m3', so2: 'ug/m3', co: 'mg/m3' },
  fire_sensor: { smoke: 'dB/m', temperature: 'C', residual_current: 'mA', pressure: 'MPa', cable_temp: 'C' },
  port_device: { wind_speed: 'm/s', wind_dir: 'deg', load: 't', reefer_temp: 'C' },
};

export const KINDS: readonly DeviceKind[] = ['river_gauge', 'air_monitor', 'fire_sensor', 'port_device'];

export function metricCount(kind: DeviceKind): number {
  return Object.keys(KIND_METRICS[kind]).length;
}

/** A whole hour, a day before now: recent enough for any retention, aligned for bucket sums. */
export function baseTime(now = Date.now()): number {
  const hour = 3_600_000;
  return Math.floor(now / hour) * hour - 24 * hour;
}

export interface ReadingOptions {
  site?: string;
  quality?: Quality;
  /** Values per metric; metrics not named get `fill`. */
  values?: Record<string, number>;
  fill?: number;
  /** Only these metrics (default: every metric of the kind). */
  only?: readonly string[];
}

export function reading(deviceId: string, kind: DeviceKind, ts: number, opts: ReadingOptions = {}): Reading {
  const units = KIND_METRICS[kind];
  const names = opts.only ?? Object.keys(units);
  const metrics: Reading['metrics'] = {};
  for (const name of names) {
    metrics[name] = {
      value: opts.values?.[name] ?? opts.fill ?? 1,
      unit: units[name] ?? 'unit',
      quality: opts.quality ?? 'N',
    };
  }
  return {
    deviceId,
    kind,
    ...(opts.site !== undefined ? { site: opts.site } : {}),
    ts,
    metrics,
    sourceId: `${deviceId}-${ts}`,
    receivedAt: ts + 5,
  };
}

export interface AlertStep {
  seq: number;
  at: number;
  type: AlertEventType;
  status: AlertStatus;
  level?: Level;
  actor?: string;
  reason?: string;
  assignee?: string;
  cleared?: boolean;
}

/** One change of an alert, valid against AlertChangeSchema (parsed, so a bad fixture fails loudly). */
export function alertChange(deviceId: string, kind: DeviceKind, openedAt: number, step: AlertStep): AlertChange {
  const alertId = `${deviceId}:high_value:${openedAt.toString(36)}`;
  return AlertChangeSchema.parse({
    alertId,
    seq: step.seq,
    deviceId,
    kind,
    site: 'site-a',
    ruleId: 'high_value',
    level: step.level ?? 'yellow',
    status: step.status,
    condition: step.cleared ? 'cleared' : 'active',
    value: 12.5 + step.seq,
    threshold: 10,
    message: `value above threshold (${step.type})`,
    ...(step.assignee !== undefined ? { assignee: step.assignee } : {}),
    openedAt,
    event: {
      type: step.type,
      actor: step.actor ?? 'system:alerts',
      at: step.at,
      ...(step.reason !== undefined ? { reason: step.reason } : {}),
      ...(step.type === 'upgraded' ? { fromLevel: 'yellow' } : {}),
    },
  });
}

/** A raise, an upgrade, an acknowledgement and a dispatch, 1 s apart from `openedAt`. */
export function alertLifecycle(deviceId: string, kind: DeviceKind, openedAt: number): AlertChange[] {
  return [
    alertChange(deviceId, kind, openedAt, { seq: 1, at: openedAt, type: 'raised', status: 'open' }),
    alertChange(deviceId, kind, openedAt, { seq: 2, at: openedAt + 1000, type: 'upgraded', status: 'open', level: 'orange' }),
    alertChange(deviceId, kind, openedAt, {
      seq: 3,
      at: openedAt + 2000,
      type: 'acknowledged',
      status: 'acknowledged',
      level: 'orange',
      actor: 'op-li',
      reason: 'seen on camera 4',
    }),
    alertChange(deviceId, kind, openedAt, {
      seq: 4,
      at: openedAt + 3000,
      type: 'dispatched',
      status: 'dispatched',
      level: 'orange',
      actor: 'op-li',
      assignee: 'crew-7',
    }),
  ];
}
