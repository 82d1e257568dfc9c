import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { PAYLOAD_SCHEMAS } from './json';
import { compiledCheck } from './payload-check';

/**
 * The compiled check is the fast path of every JSON payload; zod is the definition. A payload the
 * compiled check accepts and zod would refuse would be stored unchecked: that must never happen.
 * The other way round is safe (zod judges what the compiled check refuses) but costs the slow
 * path, so it is allowed only where the two count differently (string lengths in code points
 * against UTF-16 units). Each field of each kind is tried with values of every type, at and past
 * its bounds, beside otherwise valid payloads.
 */
const PROBES: readonly unknown[] = [
  0, -0, 1, -1, 0.5, 7, 64, 100, 1e6, -1e6, 1e300, -1e300, 2 ** 53, 2 ** 53 + 2, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER,
  Infinity, -Infinity, NaN,
  null, undefined, true, false,
  '', 'x', '1', 'NaN', 'idle', 'working', 'N', 'F', 'T', 'Z', 'x'.repeat(64), 'x'.repeat(65), '😀'.repeat(32), '😀'.repeat(33), '2026-12-03T10:00:00+08:00',
  [], [1], {}, { pm25: 'N' }, { pm25: 'Q' }, { pm25: 1 }, { a: 'N', b: 'S' }, { x: null },
];

/** A numeric bound of a field, from its zod definition (zod's own introspection). */
function bounds(field: z.ZodType): number[] {
  const out: number[] = [];
  const bag = (field as unknown as { _zod?: { bag?: { minimum?: number; maximum?: number } } })._zod?.bag;
  if (bag?.minimum !== undefined) out.push(bag.minimum, bag.minimum - 1e-9, bag.minimum - 1);
  if (bag?.maximum !== undefined) out.push(bag.maximum, bag.maximum + 1e-9, bag.maximum + 1);
  return out;
}

describe('the compiled payload check', () => {
  for (const [kind, schema] of Object.entries(PAYLOAD_SCHEMAS)) {
    it(`agrees with the zod schema of ${kind} on every field and value tried`, () => {
      const check = compiledCheck(schema);
      const shape = (schema as unknown as z.ZodObject).shape as Record<string, z.ZodType>;
      const fields = Object.keys(shape);
      const base: Record<string, unknown> = {};
      let tried = 0;
      const disagreements: string[] = [];
      const compare = (payload: Record<string, unknown>, what: string) => {
        tried++;
        const fast = check(payload);
        const slow = schema.safeParse(payload).success;
        const astral = Object.values(payload).some((v) => typeof v === 'string' && v.length !== [...v].length);
        if (fast !== slow && (fast || !astral)) disagreements.push(`${what}: compiled ${fast}, zod ${slow}`);
      };
      compare(base, 'empty object');
      for (const f of fields) {
        // numeric bounds reach through the .nullish() wrapper
        const inner = (shape[f] as unknown as { unwrap?: () => z.ZodType }).unwrap?.();
        const innerMost = (inner as unknown as { unwrap?: () => z.ZodType } | undefined)?.unwrap?.() ?? inner ?? shape[f]!;
        for (const v of [...PROBES, ...bounds(innerMost)]) {
          compare({ ...base, [f]: v }, `${f}=${typeof v === 'string' ? JSON.stringify(v.slice(0, 12)) : String(v)}`);
          // beside a valid metric of the kind, and with an unknown field
          compare({ ...base, [f]: v, unknownField: { deep: [1, 2] } }, `${f}=${String(v)} with an unknown field`);
        }
      }
      expect(disagreements).toEqual([]);
      expect(tried).toBeGreaterThan(fields.length * PROBES.length);
    });
  }

  it('refuses what is not an object, like zod', () => {
    const check = compiledCheck(PAYLOAD_SCHEMAS.river_gauge);
    for (const v of [null, [], 'x', 1, true]) {
      expect(check(v as unknown as Record<string, unknown>)).toBe(PAYLOAD_SCHEMAS.river_gauge.safeParse(v).success);
      expect(check(v as unknown as Record<string, unknown>)).toBe(false);
    }
  });
});
