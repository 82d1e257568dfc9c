/** Grades, lowest to highest, with the national numbering (red is Level I) and their colours. */
export const LEVELS = ['blue', 'yellow', 'orange', 'red'] as const;
export type Level = (typeof LEVELS)[number];
export const GRADE: Record<Level, string> = { blue: 'IV', yellow: 'III', orange: 'II', red: 'I' };
export const SEVERITY: Record<Level, number> = { blue: 1, yellow: 2, orange: 3, red: 4 };
export const COLOUR: Record<Level, string> = { blue: '#3b82f6', yellow: '#facc15', orange: '#fb923c', red: '#ef4444' };
