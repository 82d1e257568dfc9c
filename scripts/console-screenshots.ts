/**
 * Makes the README's console screenshots (docs/console-board.png, docs/console-device.png): the
 * whole pipeline on a temporary data directory, a few hours of a rising river and other devices
 * reported over MQTT, then the board and the gauge's page photographed in Chromium.
 * Needs the built console (`npm run build:console`) and /usr/bin/chromium.
 *   npx tsx scripts/console-screenshots.ts
 */
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { connect, end, publish } from '../test/helpers/mqtt';
import { startPipeline } from '../test/helpers/pipeline';

const out = (name: string) => fileURLToPath(new URL(`../docs/${name}`, import.meta.url));
const p = await startPipeline();
try {
  const now = Date.now();
  const gauge = await connect(p.mqttUrl, 'gauge-001');
  for (let i = 36; i >= 0; i--) {
    const level = 11.6 + (36 - i) * 0.11 + Math.sin(i / 3) * 0.05;
    await publish(gauge, 'devices/gauge-001/telemetry', JSON.stringify({ ts: now - i * 10 * 60_000, waterLevel: Math.round(level * 100) / 100, rainfall: i % 5 }));
  }
  await end(gauge);
  for (const [id, fields] of [
    ['fire-001', { temperature: 58, smoke: 1.8 }],
    ['air-001', { pm25: 180, pm10: 220 }],
    ['gauge-002', undefined],
    ['port-001', { windSpeed: 16, windGust: 19 }],
  ] as const) {
    if (!fields) continue;
    const c = await connect(p.mqttUrl, id);
    await publish(c, `devices/${id}/telemetry`, JSON.stringify(fields));
    await end(c);
  }
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  const page = await browser.newPage({ viewport: { width: 1440, height: 760 } });
  await page.goto(p.httpUrl);
  await page.fill('input[name=username]', 'op-alice');
  await page.fill('input[name=password]', 'demo-op-alice');
  await page.click('button[type=submit]');
  await page.locator('[data-test=live].up').waitFor();
  await page.locator('tr[data-alert^="gauge-001:river-flood-level"]').waitFor();
  await new Promise((r) => setTimeout(r, 4000)); // past the new-red flash
  await page.screenshot({ path: out('console-board.png') });
  await page.goto(`${p.httpUrl}/#/devices/gauge-001`);
  await page.click('[data-range=h6]');
  await page.locator('[data-metric=waterLevel] .chart canvas').waitFor();
  await new Promise((r) => setTimeout(r, 1500)); // chart animation
  await page.screenshot({ path: out('console-device.png') });
  await browser.close();
} finally {
  await p.stop();
}
