import { z } from 'zod';

/**
 * Warning grades, lowest to highest (domain README §4.1): blue (IV), yellow (III), orange (II), red (I).
 * Note the Roman numeral runs the other way from the severity: Level I is red, the worst.
 */
export const LevelSchema = z.enum(['blue', 'yellow', 'orange', 'red']);
export type Level = z.infer<typeof LevelSchema>;
export const LEVELS: readonly Level[] = LevelSchema.options;

/** Monotone severity: blue 1 … red 4. */
export const SEVERITY: Readonly<Record<Level, 1 | 2 | 3 | 4>> = { blue: 1, yellow: 2, orange: 3, red: 4 };
/** National grade number: red is Level I (1), blue is Level IV (4). */
export const GRADE: Readonly<Record<Level, 'I' | 'II' | 'III' | 'IV'>> = {
  blue: 'IV',
  yellow: 'III',
  orange: 'II',
  red: 'I',
};

export function compareLevels(a: Level, b: Level): number {
  return SEVERITY[a] - SEVERITY[b];
}

export function maxLevel(a: Level, b: Level): Level {
  return SEVERITY[a] >= SEVERITY[b] ? a : b;
}
