import { bench, describe } from 'vitest';
import { createAlertsCore } from '@ganzhi/alerts';
import type { DeviceAlertsState } from '@ganzhi/alerts';
import type { Level, Signal } from '@ganzhi/schemas';

/**
 * The alert core's hot path: onSignal per device state. Run: npx vitest bench bench/alerts.bench.ts
 * (prints ops/s; no assertions on timing).
 */
const core = createAlertsCore();
const T0 = Date.UTC(2026, 5, 1);
const LEVELS: Level[] = ['yellow', 'orange', 'red', 'orange'];
const silences = [
  { id: 'mw-1', match: { site: 'south' }, startsAt: T0, endsAt: T0 + 1e9, createdBy: 'op', createdAt: T0 },
];

function signal(i: number, over: Partial<Signal> = {}): Signal {
  return {
    deviceId: 'rg-001',
    kind: 'river_gauge',
    site: 'north',
    ruleId: 'water-level',
    state: 'raise',
    level: LEVELS[i % LEVELS.length] as Level,
    value: 4 + (i % 10) / 10,
    threshold: 4,
    ts: T0 + i * 1000,
    sourceId: `r-${i}`,
    ...over,
  };
}

describe('alerts onSignal', () => {
  // A state with a few alerts and a full dedup ring, as a busy device has.
  let base: DeviceAlertsState | undefined;
  for (let i = 0; i < 80; i++) base = core.onSignal(base, signal(i, { ruleId: `rule-${i % 4}` })).state;

  let i = 0;
  bench('grade change (upgrade/downgrade in place: one hashed change)', () => {
    i++;
    core.onSignal(base, signal(i, { ruleId: 'rule-1', level: i % 2 === 0 ? 'red' : 'blue' }), { silences });
  });

  let j = 0;
  bench('repeated raise at the same grade (no change)', () => {
    j++;
    core.onSignal(base, signal(j, { ruleId: 'rule-0', level: 'yellow' }), { silences });
  });

  const dup = signal(79, { ruleId: 'rule-3' });
  bench('re-delivered signal (duplicate)', () => {
    core.onSignal(base, dup, { silences });
  });

  let k = 0;
  bench('new alert (raise on an empty state)', () => {
    k++;
    core.onSignal(undefined, signal(k), { silences });
  });

  bench('tick with nothing due', () => {
    core.tick(base, T0 + 1000, { silences });
  });
});
