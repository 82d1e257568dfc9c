import { describe, expect, it } from 'vitest';
import type { Device } from '@ganzhi/registry';
import { parseRuleFile } from '@ganzhi/rules';
import { ruleMetrics, thresholdBands } from './thresholds';

const gauge = { id: 'g1', kind: 'river_gauge', site: 's1', format: 'json', secret: 'x', reportIntervalSec: 300, attributes: { warningLevel: 12.5, historicalMax: 15.2 } } as unknown as Device;

const file = parseRuleFile(
  {
    rules: [
      { id: 'flood', title: 'Flood', source: 'test', kind: 'river_gauge', type: 'threshold', metric: 'waterLevel', direction: 'above', thresholds: { blue: { attr: 'warningLevel', offset: -0.3 }, yellow: { attr: 'warningLevel' }, orange: { attr: 'guaranteedLevel' }, red: { attr: 'historicalMax' } } },
      { id: 'other-site', title: 'Elsewhere', source: 'test', kind: 'river_gauge', type: 'threshold', metric: 'waterLevel', direction: 'above', filter: { sites: ['s2'] }, thresholds: { red: 1 } },
      { id: 'rise', title: 'Rise', source: 'test', kind: 'river_gauge', type: 'rate', metric: 'waterLevel', direction: 'rise', windowSec: 3600, thresholds: { yellow: 0.3 } },
      { id: 'air', title: 'Air', source: 'test', kind: 'air_monitor', type: 'threshold', metric: 'pm25', direction: 'above', thresholds: { red: 250 } },
    ],
  },
  'test.json',
);

describe('threshold bands of a device', () => {
  it("resolves each grade with the device's attributes, leaving out grades it lacks and rules that do not apply", () => {
    expect(thresholdBands([file], gauge)).toEqual([
      { ruleId: 'flood', metric: 'waterLevel', level: 'blue', value: 12.2, direction: 'above' },
      { ruleId: 'flood', metric: 'waterLevel', level: 'yellow', value: 12.5, direction: 'above' },
      { ruleId: 'flood', metric: 'waterLevel', level: 'red', value: 15.2, direction: 'above' },
    ]);
  });

  it('names the metric of every single-metric rule that applies', () => {
    expect(ruleMetrics([file], gauge)).toEqual({ flood: 'waterLevel', rise: 'waterLevel' });
  });
});
