import type { RawEnvelope, Reading } from '@ganzhi/schemas';
import type { Device } from '@ganzhi/registry';
import { FIRE_SENSOR_METRICS } from './metrics';
import { fail, show, type NormalizeResult } from './result';
import { makeReading, payloadBytes, type Metrics, type States } from './reading';
import { decodeGbt26875Frame, type Gbt26875Frame } from './gbt26875';
import { ANALOG_TYPES, COMPONENT_TYPES, SYSTEM_TYPES, decodeGbt26875App, type Gbt26875Object } from './gbt26875-app';
import { implausibleTs } from './time';

/*
 * GB/T 26875.3 application data to `fire_sensor` readings (mapping documented in
 * packages/rules/README.md, "GB/T 26875.3 fire panels"). The UITD is the registered device; the
 * components of its panels are named in states, not registered one by one.
 *
 * Alarm classes (fire alarm > supervisory > fault > disabled) become 0/1 metrics that threshold
 * rules grade. A fire panel latches its alarms until it is reset, and so do these metrics:
 * - a component state raises the classes whose bits are set (a component back to normal does not
 *   clear the panel);
 * - a system (controller) state carries the panel's aggregate: every class, set or clear;
 * - an operation "reset" or "alarm cleared" clears every class.
 */

const ALARM_CLASSES = ['fireAlarm', 'supervisory', 'fault', 'disabled'] as const;
type AlarmClass = (typeof ALARM_CLASSES)[number];

const ELECTRICAL_FIRE = new Set([16, 17, 18]);
const SPRINKLER_COMPONENTS = new Set([95, 96, 97, 98, 99]);
const SPRINKLER_SYSTEM = 12;

const hex = (n: number, digits: number) => n.toString(16).toUpperCase().padStart(digits, '0');

/** `1/3/000600D9`: system type / system address / component address. */
export function gbt26875ComponentId(system: { type: number; address: number }, component?: { address: number }): string {
  return `${system.type}/${system.address}${component ? `/${hex(component.address, 8)}` : ''}`;
}

function alarmMetrics(flags: Readonly<Record<AlarmClass, boolean>>, onlySet: boolean): Metrics {
  const m: Metrics = {};
  for (const c of ALARM_CLASSES) if (flags[c] || !onlySet) m[c] = { value: flags[c] ? 1 : 0, unit: FIRE_SENSOR_METRICS[c].unit, quality: 'N' };
  return m;
}

/** The highest alarm class set, or `normal`. */
function fireState(flags: Readonly<Record<AlarmClass, boolean>>): string {
  return ALARM_CLASSES.find((c) => flags[c]) ?? 'normal';
}

/** An analog value's metric for a fire sensor, or undefined when the catalogue has none. */
function analogMetric(o: Extract<Gbt26875Object, { type: 'componentAnalog' }>): [keyof typeof FIRE_SENSOR_METRICS, number] | undefined {
  const name = ANALOG_TYPES[o.analogType]?.name;
  switch (name) {
    case 'temperature':
      return [ELECTRICAL_FIRE.has(o.component.type) ? 'cableTemperature' : 'temperature', o.value];
    case 'pressureMpa':
    case 'pressureKpa': {
      const mpa = name === 'pressureKpa' ? Math.round(o.value) / 1000 : o.value;
      return [SPRINKLER_COMPONENTS.has(o.component.type) || o.system.type === SPRINKLER_SYSTEM ? 'sprinklerPressure' : 'hydrantPressure', mpa];
    }
    case 'current':
      return o.component.type === 17 ? ['residualCurrent', Math.round(o.value * 1000)] : undefined;
    case 'gas':
      return ['gasConcentration', o.value];
    case 'height':
      return ['tankLevel', o.value];
    default:
      return undefined;
  }
}

function objectReading(o: Gbt26875Object): { metrics: Metrics; states: States; time: number | undefined } | undefined {
  switch (o.type) {
    case 'componentState': {
      const states: States = {
        fireState: fireState(o.flags),
        component: gbt26875ComponentId(o.system, o.component),
        componentType: COMPONENT_TYPES[o.component.type] ?? `type ${o.component.type}`,
        system: SYSTEM_TYPES[o.system.type] ?? `type ${o.system.type}`,
      };
      if (o.description) states.location = o.description;
      if (o.flags.powerFault) states.componentPowerFault = true;
      return { metrics: alarmMetrics(o.flags, true), states, time: o.time };
    }
    case 'systemState':
      return {
        metrics: alarmMetrics(o.flags, false),
        states: {
          fireState: fireState(o.flags),
          system: SYSTEM_TYPES[o.system.type] ?? `type ${o.system.type}`,
          component: gbt26875ComponentId(o.system),
          mainPowerFault: o.flags.mainPowerFault,
          backupPowerFault: o.flags.backupPowerFault,
          busFault: o.flags.busFault,
        },
        time: o.time,
      };
    case 'systemOperation':
    case 'uitdOperation': {
      const done = Object.entries(o.flags).filter(([, v]) => v).map(([k]) => k);
      const clears = o.flags.reset || o.flags.alarmCleared;
      return { metrics: clears ? alarmMetrics({ fireAlarm: false, supervisory: false, fault: false, disabled: false }, false) : {}, states: { operation: done.join(',') || 'none' }, time: o.time };
    }
    case 'componentAnalog': {
      const m = analogMetric(o);
      if (m === undefined) return undefined;
      const [metric, value] = m;
      return { metrics: { [metric]: { value, unit: FIRE_SENSOR_METRICS[metric].unit, quality: 'N' } }, states: { component: gbt26875ComponentId(o.system, o.component) }, time: o.time };
    }
    case 'uitdState':
      return {
        metrics: {},
        states: {
          uitdFireAlarm: o.flags.fireAlarm,
          uitdFault: o.flags.fault,
          uitdMainPowerFault: o.flags.mainPowerFault,
          uitdBackupPowerFault: o.flags.backupPowerFault,
          uitdLinkFault: o.flags.linkFault || o.flags.monitorLinkFault,
        },
        time: o.time,
      };
    default:
      // versions, configurations, clocks, queries and centre commands carry no readings
      return undefined;
  }
}

/** Readings of one decoded frame (one per object that maps to something). */
export function gbt26875FrameToReadings(frame: Gbt26875Frame, objects: readonly Gbt26875Object[], raw: RawEnvelope, device: Device): Reading[] | ReturnType<typeof fail> {
  const out: Reading[] = [];
  for (const o of objects) {
    const r = objectReading(o);
    if (r === undefined) continue;
    for (const [name, v] of Object.entries(r.metrics)) {
      const spec = FIRE_SENSOR_METRICS[name as keyof typeof FIRE_SENSOR_METRICS];
      if (v.value < spec.min || v.value > spec.max) return fail('GANZHI_ERR_NORM_OUT_OF_RANGE', `${name}: ${v.value} outside ${spec.min}..${spec.max} ${spec.unit}`);
    }
    const ts = r.time ?? frame.time ?? raw.receivedAt;
    const bad = implausibleTs(ts, raw.receivedAt);
    if (bad !== undefined) return fail('GANZHI_ERR_NORM_OUT_OF_RANGE', bad);
    out.push(makeReading(raw, device, ts, r.metrics, r.states));
  }
  return out;
}

const MAX_FRAMES = 64;

/**
 * A GB/T 26875.3 payload (one or more frames, binary as base64) to fire-sensor readings. Frames
 * that carry no state or value (versions, clocks, answers) give no readings, without failing.
 */
export function decodeGbt26875Telemetry(raw: RawEnvelope, device: Device): NormalizeResult {
  if (device.kind !== 'fire_sensor') return fail('GANZHI_ERR_NORM_UNSUPPORTED', `GB/T 26875.3 data is mapped for fire_sensor devices only, not ${device.kind}`);
  const bytes = payloadBytes(raw);
  const address = typeof device.attributes.address === 'string' ? device.attributes.address.toUpperCase() : undefined;
  const readings: Reading[] = [];
  let offset = 0;
  for (let n = 0; n < MAX_FRAMES && offset < bytes.length; n++) {
    const decoded = decodeGbt26875Frame(bytes, offset);
    if (!decoded.ok) return decoded;
    const { frame, end } = decoded.value;
    if (!frame.checksumValid) return fail('GANZHI_ERR_NORM_BAD_CRC', `checksum ${hex(frame.checksumInFrame, 2)} does not verify (sum is ${hex(frame.checksumCalc, 2)})`);
    if (address !== undefined && frame.source !== address) {
      return fail('GANZHI_ERR_NORM_UNKNOWN_DEVICE', `source address ${frame.source} is not the address ${show(address)} registered for device ${device.id}`);
    }
    if (frame.command === 'send' || frame.command === 'response') {
      const app = decodeGbt26875App(frame.appData);
      if (!app.ok) return app;
      const rs = gbt26875FrameToReadings(frame, app.value.objects, raw, device);
      if (!Array.isArray(rs)) return rs;
      for (const r of rs) readings.push(r);
    }
    offset = end;
  }
  if (offset < bytes.length) return fail('GANZHI_ERR_NORM_BAD_FRAME', `more than ${MAX_FRAMES} frames in one payload`);
  return { ok: true, readings };
}
