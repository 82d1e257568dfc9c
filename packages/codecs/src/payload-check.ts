import Ajv2020 from 'ajv/dist/2020.js';
import type { ValidateFunction } from 'ajv';
import { z } from 'zod';
import type { DeviceKind } from '@ganzhi/schemas';

/**
 * A compiled check of a JSON telemetry payload, made from the same zod schema (converted to JSON
 * Schema by zod, compiled by Ajv): the fast path of every device message. zod stays the
 * definition, and where the compiled check refuses a payload zod judges it again and names the
 * field (the reason a dead letter carries). The two must agree on every payload; the test
 * `payload-check.test.ts` holds them to it field by field.
 *
 * Ajv's options match zod's semantics: numbers must be finite (`strictNumbers`), and unknown
 * fields are allowed (zod drops them; the decoder reads only the fields it knows). Where the two
 * could still differ, the compiled check may only be the stricter: a payload it refuses goes to
 * zod, whose verdict stands (string lengths: Ajv counts code points, zod UTF-16 units).
 */
export type PayloadCheck = (payload: Record<string, unknown>) => boolean;

const ajv = new Ajv2020({ strict: false, strictNumbers: true, allErrors: false, validateFormats: false });

const compiled = new Map<z.ZodType, ValidateFunction>();

/** The compiled check of `schema` (compiled once, on first use). */
export function compiledCheck(schema: z.ZodType): PayloadCheck {
  let check = compiled.get(schema);
  if (!check) {
    check = ajv.compile(z.toJSONSchema(schema, { io: 'input', unrepresentable: 'throw' }) as object);
    compiled.set(schema, check);
  }
  return check as PayloadCheck;
}

/** One compiled check per device kind, for `schemas` (the payload schemas by kind). */
export function payloadChecks(schemas: Readonly<Record<DeviceKind, z.ZodType>>): (kind: DeviceKind) => PayloadCheck {
  return (kind) => compiledCheck(schemas[kind]);
}
