import iconv from 'iconv-lite';
import { fail, type Decoded } from './result';
import { gbt26875TimeBytes, parseGbt26875Time } from './gbt26875';

/*
 * GB/T 26875.3-2011 application data unit: type flag (1) | object count (1) | objects.
 * Object layouts (domain README §5.1; sizes after shootingfans/codec_gb26875_3_2011, whose test
 * frames verify): multi-byte integers little-endian, times 6 bytes (s m h D M YY), texts GB 18030
 * padded with NUL (component descriptions 31 bytes).
 */

export const GBT26875_TYPES = {
  systemState: 1,
  componentState: 2,
  componentAnalog: 3,
  systemOperation: 4,
  systemSoftware: 5,
  systemConfig: 6,
  componentConfig: 7,
  systemTime: 8,
  uitdState: 21,
  uitdOperation: 24,
  uitdSoftware: 25,
  uitdConfig: 26,
  uitdTime: 28,
  initUitd: 89,
  syncUitdTime: 90,
  dutyCheck: 91,
} as const;
export type Gbt26875TypeName = keyof typeof GBT26875_TYPES;
const TYPE_NAMES = new Map<number, Gbt26875TypeName>(Object.entries(GBT26875_TYPES).map(([k, v]) => [v, k as Gbt26875TypeName]));

/** Queries 61..68 read what 1..8 upload; 81..88 what 21..28 upload. */
export function isGbt26875Query(type: number): boolean {
  return (type >= 61 && type <= 68) || (type >= 81 && type <= 88);
}

/** System (controller) state, 2 bytes; bit numbers from 0 = the standard's bit 1. */
export const SYSTEM_STATE_BITS = ['normal', 'fireAlarm', 'fault', 'disabled', 'supervisory', 'started', 'feedback', 'delay', 'mainPowerFault', 'backupPowerFault', 'busFault', 'manual', 'configChanged', 'reset'] as const;
/** Component state, 2 bytes. */
export const COMPONENT_STATE_BITS = ['normal', 'fireAlarm', 'fault', 'disabled', 'supervisory', 'started', 'feedback', 'delay', 'powerFault'] as const;
/** UITD state, 1 byte. */
export const UITD_STATE_BITS = ['normal', 'fireAlarm', 'fault', 'mainPowerFault', 'backupPowerFault', 'linkFault', 'monitorLinkFault'] as const;
/** Operation information (system and UITD), 1 byte. */
export const OPERATION_BITS = ['reset', 'silence', 'manualAlarm', 'alarmCleared', 'selfTest', 'confirm', 'test'] as const;

/** Analog value types: name, unit and the scale of the signed 16-bit value. */
export const ANALOG_TYPES: Readonly<Record<number, { readonly name: string; readonly unit: string; readonly scale: number }>> = {
  1: { name: 'count', unit: 'count', scale: 1 },
  2: { name: 'height', unit: 'm', scale: 0.01 },
  3: { name: 'temperature', unit: 'degC', scale: 0.1 },
  4: { name: 'pressureMpa', unit: 'MPa', scale: 0.1 },
  5: { name: 'pressureKpa', unit: 'kPa', scale: 0.1 },
  6: { name: 'gas', unit: '%LEL', scale: 0.1 },
  7: { name: 'time', unit: 's', scale: 1 },
  8: { name: 'voltage', unit: 'V', scale: 0.1 },
  9: { name: 'current', unit: 'A', scale: 0.1 },
  10: { name: 'flow', unit: 'L/s', scale: 0.1 },
  11: { name: 'airFlow', unit: 'm3/min', scale: 0.1 },
  12: { name: 'windSpeed', unit: 'm/s', scale: 1 },
};

/** System types (domain README §5.1). */
export const SYSTEM_TYPES: Readonly<Record<number, string>> = {
  0: 'general', 1: 'fire alarm system', 10: 'linkage control', 11: 'hydrant system', 12: 'sprinkler', 13: 'gas extinguishing',
  14: 'water spray (pump)', 15: 'water spray (pressure vessel)', 16: 'foam', 17: 'dry powder', 18: 'smoke control',
  19: 'fire doors and shutters', 20: 'fire lift', 21: 'emergency broadcast', 22: 'emergency lighting and evacuation',
  23: 'fire power supply', 24: 'fire telephone',
};

/** Component types (numbers as in the reference codec's enum; domain README §5.1 asks to verify against the standard). */
export const COMPONENT_TYPES: Readonly<Record<number, string>> = {
  0: 'general', 10: 'flammable-gas detector', 16: 'electrical-fire monitor', 17: 'residual-current detector', 18: 'temperature detector',
  23: 'manual call point', 24: 'hydrant button', 30: 'heat detector', 31: 'point heat detector', 40: 'smoke detector',
  41: 'ionization smoke detector', 42: 'photoelectric smoke detector', 91: 'fire pump', 92: 'fire water tank', 95: 'sprinkler pump',
  96: 'water-flow indicator', 97: 'signal valve', 98: 'alarm valve', 99: 'pressure switch', 121: 'alarm device',
};

export interface Gbt26875System {
  readonly type: number;
  readonly address: number;
}
export interface Gbt26875Component {
  readonly type: number;
  /** 4 bytes little-endian. */
  readonly address: number;
}
export type Flags<T extends readonly string[]> = Readonly<Record<T[number], boolean>>;

export type Gbt26875Object =
  | { readonly type: 'systemState'; readonly system: Gbt26875System; readonly state: number; readonly flags: Flags<typeof SYSTEM_STATE_BITS>; readonly time: number | undefined }
  | { readonly type: 'componentState'; readonly system: Gbt26875System; readonly component: Gbt26875Component; readonly state: number; readonly flags: Flags<typeof COMPONENT_STATE_BITS>; readonly description: string; readonly time: number | undefined }
  | { readonly type: 'componentAnalog'; readonly system: Gbt26875System; readonly component: Gbt26875Component; readonly analogType: number; readonly raw: number; readonly value: number; readonly unit: string; readonly time: number | undefined }
  | { readonly type: 'systemOperation'; readonly system: Gbt26875System; readonly operation: number; readonly flags: Flags<typeof OPERATION_BITS>; readonly operator: number; readonly time: number | undefined }
  | { readonly type: 'systemSoftware'; readonly system: Gbt26875System; readonly version: { readonly major: number; readonly minor: number } }
  | { readonly type: 'systemConfig'; readonly system: Gbt26875System; readonly config: string }
  | { readonly type: 'componentConfig'; readonly system: Gbt26875System; readonly component: Gbt26875Component; readonly description: string }
  | { readonly type: 'systemTime'; readonly system: Gbt26875System; readonly time: number | undefined }
  | { readonly type: 'uitdState'; readonly state: number; readonly flags: Flags<typeof UITD_STATE_BITS>; readonly time: number | undefined }
  | { readonly type: 'uitdOperation'; readonly operation: number; readonly flags: Flags<typeof OPERATION_BITS>; readonly operator: number; readonly time: number | undefined }
  | { readonly type: 'uitdSoftware'; readonly version: { readonly major: number; readonly minor: number } }
  | { readonly type: 'uitdConfig'; readonly config: string }
  | { readonly type: 'uitdTime'; readonly time: number | undefined }
  | { readonly type: 'initUitd' }
  | { readonly type: 'syncUitdTime'; readonly time: number | undefined }
  /** Check duty (查岗): minutes the duty operator has to answer [P: one byte, not checked against the standard's table]. */
  | { readonly type: 'dutyCheck'; readonly timeoutMin: number }
  /** Queries 61..68 / 81..88: the object bytes as sent. */
  | { readonly type: 'query'; readonly code: number; readonly raw: Uint8Array };

export interface Gbt26875AppData {
  readonly typeCode: number;
  readonly objects: readonly Gbt26875Object[];
}

/** Fixed object sizes; config objects (6, 26) carry their own length byte. */
const SIZES: Readonly<Partial<Record<Gbt26875TypeName, number>>> = {
  systemState: 10,
  componentState: 46,
  componentAnalog: 16,
  systemOperation: 10,
  systemSoftware: 4,
  componentConfig: 38,
  systemTime: 8,
  uitdState: 7,
  uitdOperation: 8,
  uitdSoftware: 2,
  uitdTime: 6,
  initUitd: 1,
  syncUitdTime: 6,
  dutyCheck: 1,
};
/** Query object sizes [P]: system address (+ component address), or one reserved byte for UITD queries. */
const QUERY_SIZES: Readonly<Record<number, number>> = { 61: 2, 62: 6, 63: 6, 64: 2, 65: 2, 66: 2, 67: 6, 68: 2, 81: 1, 84: 1, 85: 1, 86: 1, 88: 1 };

const DESCRIPTION_LEN = 31;
const gb18030 = new TextDecoder('gb18030');

function text(bytes: Uint8Array): string {
  let end = bytes.indexOf(0);
  if (end < 0) end = bytes.length;
  return gb18030.decode(bytes.subarray(0, end)).trim();
}

function bits<T extends readonly string[]>(names: T, value: number): Flags<T> {
  const out = {} as Record<T[number], boolean>;
  names.forEach((n, i) => (out[n as T[number]] = ((value >>> i) & 1) === 1));
  return out;
}

/** Decodes an application data unit; fails with BAD_FRAME when objects are truncated or unknown. */
export function decodeGbt26875App(app: Uint8Array): Decoded<Gbt26875AppData> {
  if (app.length === 0) return { ok: true, value: { typeCode: 0, objects: [] } };
  if (app.length < 2) return fail('GANZHI_ERR_NORM_BAD_FRAME', `application data of ${app.length} byte has no object count`);
  const typeCode = app[0]!;
  const count = app[1]!;
  const name = TYPE_NAMES.get(typeCode);
  const query = isGbt26875Query(typeCode);
  if (name === undefined && !query) return fail('GANZHI_ERR_NORM_UNSUPPORTED', `application data type ${typeCode} is not supported`);
  const objects: Gbt26875Object[] = [];
  let p = 2;
  const dv = new DataView(app.buffer, app.byteOffset, app.byteLength);
  for (let i = 0; i < count; i++) {
    const size = query ? QUERY_SIZES[typeCode] : name === 'systemConfig' ? 3 + (app[p + 2] ?? 0) : name === 'uitdConfig' ? 1 + (app[p] ?? 0) : SIZES[name!];
    if (size === undefined) return fail('GANZHI_ERR_NORM_UNSUPPORTED', `query type ${typeCode} is not supported`);
    if (p + size > app.length) return fail('GANZHI_ERR_NORM_BAD_FRAME', `object ${i + 1} of ${count} (type ${typeCode}) needs ${size} bytes, ${app.length - p} left`);
    const o = app.subarray(p, p + size);
    objects.push(query ? { type: 'query', code: typeCode, raw: o } : decodeObject(name!, o, dv, p));
    p += size;
  }
  if (p !== app.length) return fail('GANZHI_ERR_NORM_BAD_FRAME', `${app.length - p} bytes after ${count} objects of type ${typeCode}`);
  return { ok: true, value: { typeCode, objects } };
}

function decodeObject(name: Gbt26875TypeName, o: Uint8Array, dv: DataView, at: number): Gbt26875Object {
  const system = (): Gbt26875System => ({ type: o[0]!, address: o[1]! });
  const component = (): Gbt26875Component => ({ type: o[2]!, address: dv.getUint32(at + 3, true) });
  switch (name) {
    case 'systemState': {
      const state = dv.getUint16(at + 2, true);
      return { type: name, system: system(), state, flags: bits(SYSTEM_STATE_BITS, state), time: parseGbt26875Time(o, 4) };
    }
    case 'componentState': {
      const state = dv.getUint16(at + 7, true);
      return { type: name, system: system(), component: component(), state, flags: bits(COMPONENT_STATE_BITS, state), description: text(o.subarray(9, 9 + DESCRIPTION_LEN)), time: parseGbt26875Time(o, 40) };
    }
    case 'componentAnalog': {
      const analogType = o[7]!;
      const raw = dv.getInt16(at + 8, true);
      const spec = ANALOG_TYPES[analogType];
      const value = spec ? Math.round(raw * spec.scale * 1000) / 1000 : raw;
      return { type: name, system: system(), component: component(), analogType, raw, value, unit: spec?.unit ?? '', time: parseGbt26875Time(o, 10) };
    }
    case 'systemOperation':
      return { type: name, system: system(), operation: o[2]!, flags: bits(OPERATION_BITS, o[2]!), operator: o[3]!, time: parseGbt26875Time(o, 4) };
    case 'systemSoftware':
      return { type: name, system: system(), version: { major: o[2]!, minor: o[3]! } };
    case 'systemConfig':
      return { type: name, system: system(), config: text(o.subarray(3)) };
    case 'componentConfig':
      return { type: name, system: system(), component: component(), description: text(o.subarray(7, 7 + DESCRIPTION_LEN)) };
    case 'systemTime':
      return { type: name, system: system(), time: parseGbt26875Time(o, 2) };
    case 'uitdState':
      return { type: name, state: o[0]!, flags: bits(UITD_STATE_BITS, o[0]!), time: parseGbt26875Time(o, 1) };
    case 'uitdOperation':
      return { type: name, operation: o[0]!, flags: bits(OPERATION_BITS, o[0]!), operator: o[1]!, time: parseGbt26875Time(o, 2) };
    case 'uitdSoftware':
      return { type: name, version: { major: o[0]!, minor: o[1]! } };
    case 'uitdConfig':
      return { type: name, config: text(o.subarray(1)) };
    case 'uitdTime':
      return { type: name, time: parseGbt26875Time(o, 0) };
    case 'initUitd':
      return { type: name };
    case 'syncUitdTime':
      return { type: name, time: parseGbt26875Time(o, 0) };
    case 'dutyCheck':
      return { type: name, timeoutMin: o[0]! };
    default: {
      const never: never = name;
      throw new Error(`unhandled type ${String(never)}`);
    }
  }
}

// ---- encoding -----------------------------------------------------------------------------

/** Objects the encoder writes; `time` in epoch ms, flags as the raw state/operation number. */
export type Gbt26875ObjectInput =
  | { readonly type: 'systemState'; readonly system: Gbt26875System; readonly state: number; readonly time: number }
  | { readonly type: 'componentState'; readonly system: Gbt26875System; readonly component: Gbt26875Component; readonly state: number; readonly description?: string; readonly time: number }
  | { readonly type: 'componentAnalog'; readonly system: Gbt26875System; readonly component: Gbt26875Component; readonly analogType: number; readonly raw: number; readonly time: number }
  | { readonly type: 'systemOperation'; readonly system: Gbt26875System; readonly operation: number; readonly operator?: number; readonly time: number }
  | { readonly type: 'systemTime'; readonly system: Gbt26875System; readonly time: number }
  | { readonly type: 'uitdState'; readonly state: number; readonly time: number }
  | { readonly type: 'uitdOperation'; readonly operation: number; readonly operator?: number; readonly time: number }
  | { readonly type: 'uitdTime'; readonly time: number }
  | { readonly type: 'initUitd' }
  | { readonly type: 'syncUitdTime'; readonly time: number }
  | { readonly type: 'dutyCheck'; readonly timeoutMin: number }
  | { readonly type: 'query'; readonly code: number; readonly raw?: readonly number[] };

/** A bit field from flag names, e.g. `gbt26875Bits(COMPONENT_STATE_BITS, ['normal', 'fireAlarm'])` = 0x0003. */
export function gbt26875Bits<T extends readonly string[]>(names: T, set: readonly T[number][]): number {
  return set.reduce((v, n) => v | (1 << names.indexOf(n)), 0);
}

function u16(v: number, signed = false): number[] {
  const b = Buffer.alloc(2);
  if (signed) b.writeInt16LE(v);
  else b.writeUInt16LE(v);
  return [...b];
}

function u32(v: number): number[] {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v);
  return [...b];
}

function description(s: string | undefined): number[] {
  const bytes = iconv.encode(s ?? '', 'gb18030');
  if (bytes.length > DESCRIPTION_LEN) throw new RangeError(`GB/T 26875.3 description is ${bytes.length} bytes in GB 18030, at most ${DESCRIPTION_LEN}`);
  const out = new Array<number>(DESCRIPTION_LEN).fill(0);
  bytes.forEach((b, i) => (out[i] = b));
  return out;
}

function encodeObject(o: Gbt26875ObjectInput): number[] {
  switch (o.type) {
    case 'systemState':
      return [o.system.type, o.system.address, ...u16(o.state), ...gbt26875TimeBytes(o.time)];
    case 'componentState':
      return [o.system.type, o.system.address, o.component.type, ...u32(o.component.address), ...u16(o.state), ...description(o.description), ...gbt26875TimeBytes(o.time)];
    case 'componentAnalog':
      return [o.system.type, o.system.address, o.component.type, ...u32(o.component.address), o.analogType, ...u16(o.raw, true), ...gbt26875TimeBytes(o.time)];
    case 'systemOperation':
      return [o.system.type, o.system.address, o.operation, o.operator ?? 0, ...gbt26875TimeBytes(o.time)];
    case 'systemTime':
      return [o.system.type, o.system.address, ...gbt26875TimeBytes(o.time)];
    case 'uitdState':
      return [o.state, ...gbt26875TimeBytes(o.time)];
    case 'uitdOperation':
      return [o.operation, o.operator ?? 0, ...gbt26875TimeBytes(o.time)];
    case 'uitdTime':
    case 'syncUitdTime':
      return gbt26875TimeBytes(o.time);
    case 'initUitd':
      return [0];
    case 'dutyCheck':
      return [o.timeoutMin];
    case 'query': {
      const raw = o.raw ?? new Array<number>(QUERY_SIZES[o.code] ?? 0).fill(0);
      if (raw.length !== QUERY_SIZES[o.code]) throw new RangeError(`GB/T 26875.3 query ${o.code} object must be ${QUERY_SIZES[o.code] ?? '?'} bytes`);
      return [...raw];
    }
    default: {
      const never: never = o;
      throw new Error(`unhandled object ${JSON.stringify(never)}`);
    }
  }
}

/** An application data unit of objects of one type (1..255 of them). */
export function encodeGbt26875App(objects: readonly Gbt26875ObjectInput[]): Buffer {
  if (objects.length < 1 || objects.length > 255) throw new RangeError(`GB/T 26875.3 carries 1..255 objects per unit, not ${objects.length}`);
  const first = objects[0]!;
  const code = first.type === 'query' ? first.code : GBT26875_TYPES[first.type];
  if (first.type === 'query' && !isGbt26875Query(code)) throw new RangeError(`${code} is not a query type (61..68, 81..88)`);
  const out: number[] = [code, objects.length];
  for (const o of objects) {
    const c = o.type === 'query' ? o.code : GBT26875_TYPES[o.type];
    if (c !== code) throw new RangeError('GB/T 26875.3 objects of one unit must share a type');
    out.push(...encodeObject(o));
  }
  return Buffer.from(out);
}
