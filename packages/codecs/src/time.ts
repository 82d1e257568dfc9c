/**
 * Time helpers. HJ 212 and SL 651 carry local China time (UTC+8, no daylight saving); the bus
 * carries millisecond epochs. Nothing here reads the clock.
 */

const CHINA_OFFSET_MS = 8 * 3_600_000;

/** Earliest device timestamp accepted (2000-01-01T00:00:00Z): earlier means a reset clock or seconds. */
export const MIN_DEVICE_TS = 946_684_800_000;
/** How far a device timestamp may run ahead of the gateway's receivedAt. */
export const MAX_FUTURE_SKEW_MS = 86_400_000;

function daysInMonth(y: number, mo: number): number {
  if (mo === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  return mo === 4 || mo === 6 || mo === 9 || mo === 11 ? 30 : 31;
}

/** Epoch ms for a China-time calendar instant, or undefined when a field is out of its range. */
export function chinaTimeToEpoch(y: number, mo: number, d: number, h: number, mi: number, s: number, ms: number): number | undefined {
  if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 59) return undefined;
  if (d > daysInMonth(y, mo)) return undefined;
  return Date.UTC(y, mo - 1, d, h, mi, s, ms) - CHINA_OFFSET_MS;
}

function digitsAt(s: string, start: number, len: number): number {
  let n = 0;
  for (let i = start; i < start + len; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return NaN;
    n = n * 10 + c;
  }
  return n;
}

/**
 * HJ 212 `YYYYMMDDhhmmss` (DataTime, 14 digits) or `YYYYMMDDhhmmsszzz` (QN, and DataTime on some
 * devices: 17 digits), China time, to epoch ms. Undefined when malformed.
 */
export function parseHj212Time(text: string): number | undefined {
  if (text.length !== 14 && text.length !== 17) return undefined;
  const y = digitsAt(text, 0, 4);
  const mo = digitsAt(text, 4, 2);
  const d = digitsAt(text, 6, 2);
  const h = digitsAt(text, 8, 2);
  const mi = digitsAt(text, 10, 2);
  const s = digitsAt(text, 12, 2);
  const ms = text.length === 17 ? digitsAt(text, 14, 3) : 0;
  if (Number.isNaN(y + mo + d + h + mi + s + ms)) return undefined;
  return chinaTimeToEpoch(y, mo, d, h, mi, s, ms);
}

const pad = (n: number, w: number) => String(n).padStart(w, '0');

/** Epoch ms to HJ 212 China time: 14 digits (DataTime) or 17 with milliseconds (QN). */
export function formatHj212Time(epochMs: number, withMillis = false): string {
  const t = new Date(epochMs + CHINA_OFFSET_MS);
  const base =
    pad(t.getUTCFullYear(), 4) +
    pad(t.getUTCMonth() + 1, 2) +
    pad(t.getUTCDate(), 2) +
    pad(t.getUTCHours(), 2) +
    pad(t.getUTCMinutes(), 2) +
    pad(t.getUTCSeconds(), 2);
  return withMillis ? base + pad(t.getUTCMilliseconds(), 3) : base;
}

/**
 * SL 651 BCD time as its digit string (`YYMMDDhhmm` observation time, `YYMMDDhhmmss` send time),
 * China time, to epoch ms (years 2000-2099). Undefined when malformed.
 */
export function parseSl651Time(digits: string): number | undefined {
  if (digits.length !== 10 && digits.length !== 12) return undefined;
  const yy = digitsAt(digits, 0, 2);
  const mo = digitsAt(digits, 2, 2);
  const d = digitsAt(digits, 4, 2);
  const h = digitsAt(digits, 6, 2);
  const mi = digitsAt(digits, 8, 2);
  const s = digits.length === 12 ? digitsAt(digits, 10, 2) : 0;
  if (Number.isNaN(yy + mo + d + h + mi + s)) return undefined;
  return chinaTimeToEpoch(2000 + yy, mo, d, h, mi, s, 0);
}

/** Epoch ms to SL 651 China-time digits: 10 (`YYMMDDhhmm`) or 12 with seconds. */
export function formatSl651Time(epochMs: number, withSeconds: boolean): string {
  const full = formatHj212Time(epochMs); // YYYYMMDDhhmmss
  return withSeconds ? full.slice(2) : full.slice(2, 12);
}

// ISO 8601 with a mandatory zone, so that the result does not depend on the host's time zone.
const ISO_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})$/;

/** ISO 8601 date-time with `Z` or an offset, to epoch ms; undefined otherwise. */
export function parseIsoTime(text: string): number | undefined {
  if (!ISO_RE.test(text)) return undefined;
  const ms = Date.parse(text);
  return Number.isFinite(ms) ? ms : undefined;
}

// Date cannot represent more than ±8.64e15 ms; show such values as numbers.
const iso = (ms: number) => (Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString() : String(ms));

/** Why a device timestamp is implausible, or undefined when it is fine. */
export function implausibleTs(ts: number, receivedAt: number): string | undefined {
  if (ts < MIN_DEVICE_TS) return `ts ${ts} is before 2000-01-01 (seconds instead of milliseconds, or a reset clock?)`;
  if (ts > receivedAt + MAX_FUTURE_SKEW_MS) return `ts ${iso(ts)} is more than 1 day after receivedAt ${iso(receivedAt)}`;
  return undefined;
}
