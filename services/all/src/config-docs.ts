import type { z } from 'zod';
import { PipelineConfigSchema } from './config';

interface Def {
  type: string;
  defaultValue?: unknown;
  innerType?: { _zod: { def: Def } };
  in?: { _zod: { def: Def } };
  entries?: Record<string, string>;
}

/** Walks wrappers (default, pipe, optional) for the default value and the enum choices. */
function describeField(field: z.ZodType): { def: string; choices: string } {
  let def: Def | undefined = (field as unknown as { _zod: { def: Def } })._zod.def;
  let dflt: unknown;
  let choices = '';
  for (let i = 0; def && i < 6; i++) {
    if (def.type === 'default' && dflt === undefined) dflt = def.defaultValue;
    if (def.type === 'enum' && def.entries) choices = Object.values(def.entries).join(' \\| ');
    def = def.innerType?._zod.def ?? def.in?._zod.def;
  }
  const shown = dflt === undefined ? '' : typeof dflt === 'string' && dflt.startsWith('/') ? '(repo) ' + dflt.replace(/^.*\/(deploy\/)/, '$1') : String(dflt);
  return { def: shown, choices };
}

/** The README's configuration table, made from the config schema so the two cannot drift. */
export function configTable(): string {
  const rows = Object.entries(PipelineConfigSchema.shape).map(([name, field]) => {
    const { def, choices } = describeField(field as z.ZodType);
    const description = (field as z.ZodType).description ?? '';
    return `| \`${name}\` | ${def ? `\`${def}\`` : ''} | ${[description, choices && `one of ${choices}`].filter(Boolean).join('; ')} |`;
  });
  return ['| variable | default | meaning |', '|---|---|---|', ...rows].join('\n');
}
