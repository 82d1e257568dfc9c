import type { Bus } from '@ganzhi/bus';
import type { Refusal } from '@ganzhi/schemas';

/** Follows `ganzhi.audit.v1` from the start through a consumer group of the test's own. */
export async function followRefusals(bus: Bus): Promise<{ all: Refusal[]; close(): Promise<void> }> {
  const all: Refusal[] = [];
  const sub = await bus.subscribe(`test.refusals.${Math.random().toString(36).slice(2)}`, {
    'ganzhi.audit.v1': async (batch) => {
      for (const { value } of batch) all.push(value);
    },
  });
  return { all, close: () => sub.close() };
}
