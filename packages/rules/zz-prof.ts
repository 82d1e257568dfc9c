import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createRuleEngine, parseRuleFile } from '@ganzhi/rules';
const DIR = '/work/main/deploy/rules';
const all = readdirSync(DIR).filter((n) => n.endsWith('.json')).map((n) => parseRuleFile(JSON.parse(readFileSync(join(DIR, n), 'utf8')), n));
for (const only of [null, 'river-flood-level', 'river-rise-rate', 'river-battery-low', 'river-offline']) {
  const files = all.map((f) => ({ ...f, rules: f.rules.filter((r) => only === null || r.id === only) }));
  const engine = createRuleEngine(files);
  const T0 = Date.UTC(2026, 5, 1);
  const N = 1000;
  const devs = Array.from({ length: N }, (_, i) => ({ id: 'g' + i, kind: 'river_gauge' as const, site: 's' + (i % 50), format: 'json' as const, secret: 'x', reportIntervalSec: 60, attributes: { warningLevel: 12.5, guaranteedLevel: 14, historicalMax: 15.2 } }));
  const pool = Array.from({ length: 256 }, (_, k) => ({ waterLevel: { value: 13 + 2.6 * Math.sin(k / 40), unit: 'm', quality: 'N' as const }, batteryV: { value: 12.4, unit: 'V', quality: 'N' as const } }));
  const states: any[] = new Array(N);
  const rs = devs.map((d) => ({ deviceId: d.id, kind: d.kind, site: d.site, ts: T0, metrics: {} as any, sourceId: 'x', receivedAt: T0 }));
  let sig = 0;
  const ops = 400_000;
  const t = performance.now();
  for (let n = 0; n < ops; n++) {
    const i = n % N, round = (n / N) | 0;
    const r = rs[i]!; r.ts = T0 + round * 60000; r.receivedAt = r.ts; r.sourceId = 'g' + i + '@' + round; r.metrics = pool[(round + i) % 256];
    const o = engine.evaluate(r, devs[i]!, states[i]); states[i] = o.state; sig += o.signals.length;
  }
  const ms = performance.now() - t;
  console.log(only, Math.round(ops / ms * 1000), 'ops/s', 'signals/op', (sig / ops).toFixed(4));
}
