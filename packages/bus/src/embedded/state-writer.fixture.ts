/**
 * Test helper run as a child process: puts `k<i % keys> = i` into a state log as fast as each
 * put resolves, printing `acked <i>` after each, until the parent kills it (compactions happen
 * along the way). Usage: state-writer.fixture.ts <busDir> <keys>
 */
import { createEmbeddedBus } from './embedded-bus';

const [dir, keys] = process.argv.slice(2);
if (!dir || !keys) throw new Error('usage: state-writer.fixture.ts <busDir> <keys>');
const bus = await createEmbeddedBus({ dir, sync: 'write', stateCompactMinBytes: 0 });
const state = await bus.stateLog('crash', (v) => v as number);
for (let i = 0; i < 1_000_000; i++) {
  await state.put([{ key: `k${i % Number(keys)}`, value: i }]);
  process.stdout.write(`acked ${i}\n`);
}
