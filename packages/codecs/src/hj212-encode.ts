import { hj212Crc, type Hj212CrcVariant } from './hj212';

/** CP content to encode: plain keys first (DataTime, ...), then one item per pollutant code. */
export interface Hj212CpInput {
  readonly fields?: Readonly<Record<string, string | number>>;
  /** `{ a34004: { Rtd: 35, Flag: 'N' } }` -> `a34004-Rtd=35,a34004-Flag=N`. */
  readonly pollutants?: Readonly<Record<string, Readonly<Record<string, string | number>>>>;
}

/** The data-segment fields of a frame to encode; order on the wire is QN;ST;CN;PW;MN;Flag;PNUM;PNO;CP. */
export interface Hj212FrameInput {
  readonly QN?: string;
  readonly ST: string;
  readonly CN: string;
  readonly PW: string;
  readonly MN: string;
  readonly Flag?: string | number;
  readonly PNUM?: string | number;
  readonly PNO?: string | number;
  /** Raw CP text (without the `&&` delimiters) or structured content. */
  readonly cp: string | Hj212CpInput;
}

export interface Hj212EncodeOptions {
  /** CRC algorithm to print (default 'hj212'); 'none' writes `0000`. */
  readonly crc?: Hj212CrcVariant;
  /** Append CR LF (default true). */
  readonly crlf?: boolean;
}

function assertNoSeparators(what: string, text: string): void {
  if (/[;,&=]/.test(text)) throw new RangeError(`HJ 212 ${what} must not contain ";", ",", "&" or "=": ${JSON.stringify(text)}`);
}

/** Serializes CP content (without the surrounding `&&`). */
export function encodeHj212Cp(cp: Hj212CpInput): string {
  const items: string[] = [];
  for (const [k, v] of Object.entries(cp.fields ?? {})) {
    assertNoSeparators('CP key', k);
    assertNoSeparators('CP value', String(v));
    items.push(`${k}=${v}`);
  }
  for (const [code, values] of Object.entries(cp.pollutants ?? {})) {
    assertNoSeparators('pollutant code', code);
    const parts: string[] = [];
    for (const [suffix, v] of Object.entries(values)) {
      assertNoSeparators('CP value', String(v));
      parts.push(`${code}-${suffix}=${v}`);
    }
    if (parts.length > 0) items.push(parts.join(','));
  }
  return items.join(';');
}

/**
 * Builds a complete frame `##LLLL<segment>CCCC\r\n` with the byte length and a CRC made with
 * `options.crc` (default the HJ 212 algorithm). Throws RangeError on input that cannot be framed.
 */
export function encodeHj212(input: Hj212FrameInput, options: Hj212EncodeOptions = {}): string {
  const head: string[] = [];
  if (input.QN !== undefined) head.push(`QN=${input.QN}`);
  head.push(`ST=${input.ST}`, `CN=${input.CN}`, `PW=${input.PW}`, `MN=${input.MN}`);
  if (input.Flag !== undefined) head.push(`Flag=${input.Flag}`);
  if (input.PNUM !== undefined) head.push(`PNUM=${input.PNUM}`);
  if (input.PNO !== undefined) head.push(`PNO=${input.PNO}`);
  for (const h of head) assertNoSeparators('field', h.slice(h.indexOf('=') + 1));
  const cp = typeof input.cp === 'string' ? input.cp : encodeHj212Cp(input.cp);
  const segment = `${head.join(';')};CP=&&${cp}&&`;
  const bytes = Buffer.from(segment, 'utf8');
  if (bytes.length > 9999) throw new RangeError(`HJ 212 data segment of ${bytes.length} bytes does not fit the 4-digit length field`);
  const variant = options.crc ?? 'hj212';
  const crc = variant === 'none' ? '0000' : hj212Crc(bytes, variant);
  return `##${String(bytes.length).padStart(4, '0')}${segment}${crc}${options.crlf === false ? '' : '\r\n'}`;
}
