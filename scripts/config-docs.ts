// Prints the README's configuration table from the config schema: `npx tsx scripts/config-docs.ts`;
// with --write, replaces the table between the config markers in README.md.
import { readFileSync, writeFileSync } from 'node:fs';
import { configTable } from '../services/all/src/config-docs';

const table = configTable();
if (process.argv.includes('--write')) {
  const path = new URL('../README.md', import.meta.url);
  const readme = readFileSync(path, 'utf8');
  const re = /(<!-- config:start[^\n]*-->\n)[\s\S]*?(\n<!-- config:end -->)/;
  if (!re.test(readme)) throw new Error('README.md has no config markers');
  writeFileSync(path, readme.replace(re, `$1${table}$2`));
} else {
  process.stdout.write(`${table}\n`);
}
