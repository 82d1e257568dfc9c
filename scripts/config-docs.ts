// Prints the configuration table for the README: `npx tsx scripts/config-docs.ts`.
import { configTable } from '../services/all/src/config-docs';
process.stdout.write(`${configTable()}\n`);
