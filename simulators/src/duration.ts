const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/gy;

/**
 * Parses a duration such as `90s`, `15m`, `1h30m`, `2d`, `500ms` (and a leading `-` for a
 * negative offset, e.g. a clock running behind) into milliseconds. Undefined when malformed.
 */
export function parseDuration(text: string): number | undefined {
  const t = text.trim();
  const negative = t.startsWith('-');
  const body = negative || t.startsWith('+') ? t.slice(1) : t;
  if (body === '') return undefined;
  if (body === '0') return 0;
  PART.lastIndex = 0;
  let total = 0;
  let consumed = 0;
  for (let m = PART.exec(body); m !== null; m = PART.exec(body)) {
    total += Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
    consumed = PART.lastIndex;
  }
  if (consumed !== body.length) return undefined;
  return Math.round(negative ? -total : total);
}

/** Milliseconds as a short signed duration: `+1h05m`, `-30s`, `+0s`. */
export function formatDuration(ms: number, signed = false): string {
  const sign = ms < 0 ? '-' : signed ? '+' : '';
  let rest = Math.abs(Math.round(ms));
  const d = Math.floor(rest / UNIT_MS.d);
  rest -= d * UNIT_MS.d;
  const h = Math.floor(rest / UNIT_MS.h);
  rest -= h * UNIT_MS.h;
  const m = Math.floor(rest / UNIT_MS.m);
  rest -= m * UNIT_MS.m;
  const s = Math.floor(rest / UNIT_MS.s);
  const parts: string[] = [];
  if (d) parts.push(`${d}d`);
  if (h) parts.push(`${parts.length ? String(h).padStart(2, '0') : h}h`);
  if (m) parts.push(`${parts.length ? String(m).padStart(2, '0') : m}m`);
  if (s || parts.length === 0) parts.push(`${parts.length ? String(s).padStart(2, '0') : s}s`);
  return sign + parts.join('');
}
