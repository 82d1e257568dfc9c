import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { GanzhiError } from '@ganzhi/schemas';
import { parseRoutingFile, type RoutingFile } from './routing';
import { withOverrides, type Templates } from './templates';

/** Reads and validates a routing file; GANZHI_ERR_NOTIFY_ROUTES names the file and the field. */
export async function loadRoutingFile(path: string): Promise<RoutingFile> {
  let doc: unknown;
  try {
    doc = JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    throw new GanzhiError('GANZHI_ERR_NOTIFY_ROUTES', `${path}: ${err instanceof SyntaxError ? err.message : 'cannot read the file'}`, { cause: err });
  }
  return parseRoutingFile(doc, path);
}

/** The shipped templates overridden by `<kind>.<part>.<lang>.mustache` files of `dir` (if given). */
export async function loadTemplateDir(dir: string | undefined): Promise<Templates> {
  if (!dir) return withOverrides({});
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith('.mustache')).sort();
  } catch (err) {
    throw new GanzhiError('GANZHI_ERR_NOTIFY_TEMPLATE', `${dir}: cannot list the templates directory`, { cause: err });
  }
  const overrides: Record<string, string> = {};
  for (const name of names) overrides[name.slice(0, -'.mustache'.length)] = await readFile(join(dir, name), 'utf8');
  return withOverrides(overrides, dir);
}
