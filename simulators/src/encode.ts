import {
  HJ212_CODE_FOR_METRIC,
  HJ212_CRC_VARIANTS,
  encodeHj212,
  convertUnit,
  encodeSl651,
  encodeSl651Ascii,
  formatHj212Time,
  unitName,
  type AirMetric,
  type Hj212CrcVariant,
  type Hj212EncodeOptions,
  type Sl651ElementInput,
} from '@ganzhi/codecs';
import type { PayloadFormat } from '@ganzhi/schemas';
import { encodeFireGbt26875 } from './gbt26875';
import type { Sample } from './models';
import type { MalformedVariant, ScenarioDevice } from './scenario/schema';

/** What a device puts on its telemetry topic: text (JSON, HJ 212) or bytes (SL 651). */
export type Payload = string | Uint8Array;

export interface EncodeInput {
  readonly device: Pick<ScenarioDevice, 'id' | 'kind' | 'format' | 'attributes'> & { readonly units?: Readonly<Record<string, string>> | undefined };
  /** Timestamp the device puts in the payload (its own clock, possibly skewed). */
  readonly ts: number;
  readonly sample: Sample;
  /** 1-based message counter of the device. */
  readonly seq: number;
}

/** A stable 10-hex-digit SL 651 station address for a device id (its `station` attribute wins). */
export function stationOf(device: EncodeInput['device']): string {
  const s = device.attributes.station;
  if (typeof s === 'string') return s.toUpperCase();
  let h = 2166136261;
  for (let i = 0; i < device.id.length; i++) h = Math.imul(h ^ device.id.charCodeAt(i), 16777619);
  return `00${(h >>> 0).toString(16).toUpperCase().padStart(8, '0')}`;
}

/** The HJ 212 MN (device attribute `mn`, else the device id without separators). */
export function mnOf(device: EncodeInput['device']): string {
  const mn = device.attributes.mn;
  return typeof mn === 'string' ? mn : device.id.replace(/[;,&=]/g, '_');
}

function encodeJson({ ts, sample }: EncodeInput): string {
  return JSON.stringify({ ts, ...sample.metrics, ...sample.states });
}

/** The HJ 212 CRC variant the device's `crc` attribute names (the normalizer checks the same one). */
function crcOption(device: EncodeInput['device']): Hj212EncodeOptions {
  const c = device.attributes.crc;
  return typeof c === 'string' && (HJ212_CRC_VARIANTS as readonly string[]).includes(c) ? { crc: c as Hj212CrcVariant } : {};
}

function encodeAirHj212(input: EncodeInput): string {
  const { device, ts, sample } = input;
  const pollutants: Record<string, Record<string, string | number>> = {};
  const units = device.units ?? {};
  for (const [name, value] of Object.entries(sample.metrics)) {
    if (!Object.hasOwn(HJ212_CODE_FOR_METRIC, name)) continue;
    const code = HJ212_CODE_FOR_METRIC[name as AirMetric];
    // the model's unit for this code (the registry holds the same): convert from the canonical one
    const declared = Object.hasOwn(units, code) ? units[code] : Object.hasOwn(units, name) ? units[name] : undefined;
    const to = declared === undefined ? undefined : unitName(declared);
    const canonical = name === 'co' ? 'mg/m3' : name === 'temperature' ? 'degC' : name === 'humidity' ? '%' : 'ug/m3';
    const v = to === undefined ? value : convertUnit(name, value, canonical, to);
    if (v === undefined) throw new Error(`device ${device.id}: cannot send ${name} in ${declared}`);
    pollutants[code] = { Rtd: to === undefined ? v : Number(v.toPrecision(6)), Flag: 'N' };
  }
  return encodeHj212(
    {
      QN: formatHj212Time(ts, true),
      ST: '22',
      CN: '2011',
      PW: '123456',
      MN: mnOf(device),
      Flag: 4,
      cp: { fields: { DataTime: formatHj212Time(ts) }, pollutants },
    },
    crcOption(input.device),
  );
}

const SL651_FIELDS: readonly (readonly [string, Sl651ElementInput['id']])[] = [
  ['waterLevel', 'Z'],
  ['rain1h', 'P1'],
  ['rainToday', 'PJ'],
  ['flow', 'Q'],
  ['batteryV', 'VT'],
];

function encodeGaugeSl651({ device, ts, sample, seq }: EncodeInput): Uint8Array {
  const elements: Sl651ElementInput[] = [];
  for (const [field, id] of SL651_FIELDS) {
    const v = sample.metrics[field];
    if (v !== undefined) elements.push({ id, value: v });
  }
  // a station in ASCII mode (SL 651-2014 §6.4; device attribute sl651Encoding = "ascii")
  const encode = device.attributes.sl651Encoding === 'ascii' ? encodeSl651Ascii : encodeSl651;
  return encode({
    centre: 1,
    station: stationOf(device),
    password: '1234',
    funcCode: 0x32, // timed report
    serial: ((seq - 1) % 65535) + 1,
    sendTime: ts,
    stationClass: 'H',
    groups: [{ obsTime: ts, elements }],
  });
}

/** The telemetry payload of one report in the device's format. */
export function encodePayload(input: EncodeInput): Payload {
  const format: PayloadFormat = input.device.format;
  switch (format) {
    case 'json':
      return encodeJson(input);
    case 'hj212':
      return encodeAirHj212(input);
    case 'sl651':
      return encodeGaugeSl651(input);
    case 'gbt26875':
      return encodeFireGbt26875(input);
    default: {
      const never: never = format;
      throw new Error(`unknown format ${String(never)}`);
    }
  }
}

const FIRST_FIELD = /"([A-Za-z0-9]+)":(-?[0-9.]+)/;

/**
 * A malformed version of a report, as field devices produce them: cut short, line noise, a
 * number sent as text, an impossible value, NaN, a wrong checksum. Each one must be dead-lettered
 * with a typed reason without disturbing other devices.
 */
export function malform(input: EncodeInput, variant: MalformedVariant, rand: () => number): Payload {
  const good = encodePayload(input);
  const bytes = typeof good === 'string' ? Buffer.from(good, 'utf8') : Buffer.from(good);
  switch (variant) {
    case 'truncated':
      return typeof good === 'string' ? good.slice(0, Math.max(1, Math.floor(good.length * (0.3 + 0.4 * rand())))) : bytes.subarray(0, Math.max(1, Math.floor(bytes.length / 2)));
    case 'garbage': {
      const junk = Buffer.alloc(24 + Math.floor(rand() * 40));
      for (let i = 0; i < junk.length; i++) junk[i] = Math.floor(rand() * 256);
      return typeof good === 'string' ? junk.toString('latin1') : junk;
    }
    case 'wrong-type':
      if (input.device.format === 'json') return good.toString().replace(FIRST_FIELD, '"$1":"$2 units"');
      if (input.device.format === 'hj212') return rewrap(input, (cp) => cp.replace(/-Rtd=[^,;&]+/, '-Rtd=abc'));
      return flipCrc(bytes);
    case 'out-of-range':
      if (input.device.format === 'json') return good.toString().replace(FIRST_FIELD, '"$1":999999');
      if (input.device.format === 'hj212') return rewrap(input, (cp) => cp.replace(/-Rtd=[^,;&]+/, '-Rtd=999999'));
      return encodePayload({ ...input, sample: { ...input.sample, metrics: { ...input.sample.metrics, waterLevel: 9999 } } });
    case 'non-finite':
      if (input.device.format === 'json') return good.toString().replace(FIRST_FIELD, '"$1":"NaN"');
      if (input.device.format === 'hj212') return rewrap(input, (cp) => cp.replace(/-Rtd=[^,;&]+/, '-Rtd=NaN'));
      return flipCrc(bytes);
    case 'bad-crc':
      if (input.device.format === 'json') return good.toString().slice(0, -1);
      return typeof good === 'string' ? flipCrc(bytes).toString('latin1') : flipCrc(bytes);
    default: {
      const never: never = variant;
      throw new Error(`unknown variant ${String(never)}`);
    }
  }
}

/** An HJ 212 frame whose CP text was edited, with a correct length and CRC (so only the content is bad). */
function rewrap(input: EncodeInput, edit: (cp: string) => string): string {
  const frame = encodeAirHj212(input);
  const cp = frame.slice(frame.indexOf('CP=&&') + 5, frame.lastIndexOf('&&'));
  const head = frame.slice(6, frame.indexOf(';CP=&&'));
  const fields = Object.fromEntries(head.split(';').map((kv) => kv.split('=') as [string, string]));
  return encodeHj212(
    { QN: fields.QN, ST: fields.ST!, CN: fields.CN!, PW: fields.PW!, MN: fields.MN!, Flag: fields.Flag, cp: edit(cp) },
    crcOption(input.device),
  );
}

/** The same bytes with the checksum changed: its last hex digit (HJ 212 text) or last byte (SL 651). */
function flipCrc(bytes: Buffer): Buffer {
  const out = Buffer.from(bytes);
  const crlf = out.length >= 3 && out[out.length - 2] === 0x0d && out[out.length - 1] === 0x0a;
  if (crlf) {
    const i = out.length - 3;
    out[i] = out[i] === 0x30 ? 0x31 : 0x30;
  } else if (out.length > 0) {
    out[out.length - 1] = out[out.length - 1]! ^ 0x5a;
  }
  return out;
}
