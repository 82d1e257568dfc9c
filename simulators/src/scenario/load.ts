import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { GanzhiError } from '@ganzhi/schemas';
import { ScenarioSchema, type Scenario } from './schema';

/** Validates a scenario document; fails with GANZHI_ERR_SIM_SCENARIO naming every bad field. */
export function parseScenario(doc: unknown, source = 'scenario'): Scenario {
  const result = ScenarioSchema.safeParse(doc);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new GanzhiError('GANZHI_ERR_SIM_SCENARIO', `${source}: ${problems.join('; ')}`, {
      details: { fields: result.error.issues.map((i) => i.path.join('.')) },
    });
  }
  return result.data;
}

/** Reads and validates a scenario file (JSON). */
export async function loadScenarioFile(path: string): Promise<Scenario> {
  const text = await readFile(path, 'utf8');
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new GanzhiError('GANZHI_ERR_SIM_SCENARIO', `${path}: not JSON: ${(err as Error).message}`, { cause: err });
  }
  return parseScenario(doc, path);
}

/** The scenario files (`*.json`) of a directory, sorted by name. */
export async function listScenarioFiles(dir: string): Promise<string[]> {
  const names = (await readdir(dir)).filter((n) => n.endsWith('.json')).sort();
  return names.map((n) => join(dir, n));
}
