import { runStorePairs, formatStorePairs } from './scenarios/store';
import { table } from './lib/report';
const r = await runStorePairs({ seconds: Number(process.argv[2] ?? 2), env: {}, log: (l) => process.stderr.write(l + '\n') });
console.log(formatStorePairs(r, table));
