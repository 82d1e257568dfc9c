import mqtt from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import { basicAuth, startGanzhiProcess, type GanzhiProcess } from '../helpers/ganzhi';
import { startDeviceLoad } from '../helpers/load';
import { connect, end } from '../helpers/mqtt';
import { eventually } from '../helpers/pipeline';

let ganzhi: GanzhiProcess | undefined;
afterAll(async () => {
  await ganzhi?.stop();
});

/** `workers` clients retrying a wrong password as fast as they are answered, until `stop()`. */
function wrongPasswordFlood(url: string, workers: number) {
  let stopped = false;
  let attempts = 0;
  const refusals = new Map<number, number>();
  const loops = Array.from({ length: workers }, (_, w) =>
    (async () => {
      while (!stopped && attempts < 20_000) {
        attempts++;
        await new Promise<void>((resolve) => {
          const c = mqtt.connect(url, { username: w % 2 ? 'gauge-001' : `nobody-${w}`, password: 'wrong', reconnectPeriod: 0, connectTimeout: 5_000, clientId: `flood-${w}-${attempts}` });
          const done = () => {
            c.end(true);
            resolve();
          };
          c.once('connect', done);
          c.once('error', (err) => {
            const code = (err as { code?: number }).code ?? -1;
            refusals.set(code, (refusals.get(code) ?? 0) + 1);
            done();
          });
          c.once('close', done);
        });
      }
    })(),
  );
  return {
    attempts: () => attempts,
    refusals,
    async stop() {
      stopped = true;
      await Promise.all(loops);
    },
  };
}

describe('a wrong-password flood', () => {
  it('is throttled while a connected device keeps its PUBACKs and a known device can still log in', async () => {
    ganzhi = await startGanzhiProcess({ GANZHI_AUTH_MAX_FAILURES_PER_ADDRESS: '10', GANZHI_AUTH_MAX_FAILURES_PER_USER: '5' });
    // gauge-002 logs in once before the flood, so its credentials are known good
    const known = await connect(ganzhi.mqttUrl, 'gauge-002', undefined, { clientId: 'gauge-002' });
    await end(known);
    const load = await startDeviceLoad(ganzhi.mqttUrl, ['air-001'], { window: 4 });
    await eventually(() => load.total() > 50, 30_000, 'the device to be acknowledged');

    const flood = wrongPasswordFlood(ganzhi.mqttUrl, 40);
    await eventually(() => flood.attempts() > 400, 60_000, 'the flood to make 400 attempts');
    const during = load.total();
    await eventually(() => load.total() > during + 200, 60_000, 'the device to get 200 more PUBACKs during the flood');
    // a device whose credentials were verified before still logs in from the flooded address
    const again = await connect(ganzhi.mqttUrl, 'gauge-002', undefined, { clientId: 'gauge-002' });
    await end(again);
    await flood.stop();
    await load.stop();

    const stats = (await (await fetch(`${ganzhi.httpUrl}/api/stats`, { headers: basicAuth('op-admin') })).json()) as { gateway: { authFailures: number; authThrottled: number } };
    console.info(`login-flood: ${flood.attempts()} wrong logins, refusals by CONNACK code ${JSON.stringify(Object.fromEntries(flood.refusals))}; gateway ${JSON.stringify(stats.gateway)}`);
    // after the first few failures from this address, logins are refused without a password check
    expect(stats.gateway.authThrottled).toBeGreaterThan(stats.gateway.authFailures);
    expect(stats.gateway.authFailures).toBeLessThanOrEqual(10 + 40); // the window's allowance, plus checks already under way
    expect(ganzhi.alive()).toBe(true);
  }, 240_000);
});
