import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { GanzhiError } from '@ganzhi/schemas';
import { parseRuleFile } from './schema';
import type { RuleFile } from './schema';

/**
 * Reads every `*.json` file of `dir` (not recursive, in name order) as a rule file.
 * Throws GANZHI_ERR_RULE_INVALID naming the file for unreadable, non-JSON or invalid content.
 */
export async function loadRuleFiles(dir: string): Promise<RuleFile[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith('.json')).sort();
  } catch (err) {
    throw new GanzhiError('GANZHI_ERR_RULE_INVALID', `${dir}: cannot list the rules directory`, { cause: err });
  }
  const files: RuleFile[] = [];
  for (const name of names) {
    const path = join(dir, name);
    let doc: unknown;
    try {
      doc = JSON.parse(await readFile(path, 'utf8'));
    } catch (err) {
      throw new GanzhiError('GANZHI_ERR_RULE_INVALID', `${path}: ${err instanceof SyntaxError ? err.message : 'cannot read the file'}`, { cause: err });
    }
    files.push(parseRuleFile(doc, path));
  }
  return files;
}
