import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeGbt26875App, encodeGbt26875Frame, encodeHj212, encodeSl651, formatHj212Time } from '@ganzhi/codecs';
import { connectLink, type LinkClient } from './helpers/links';
import { eventually, startPipeline, type RunningPipeline } from './helpers/pipeline';

/*
 * Devices on the protocol listeners are online and offline as MQTT devices are: their connection
 * becomes online/offline status readings, the console's device list shows it, and the `absence`
 * rules (`*-offline`) raise an alert for one that stays silent and clear it when it reports again.
 * Devices of deploy/demo/registry.json: air-003 (HJ 212), gauge-003 (SL 651), uitd-001 (GB/T 26875.3).
 */

const T0 = Date.UTC(2026, 10, 1, 8, 0, 0);
let clock = T0;
let p: RunningPipeline;
const headers = { authorization: `Basic ${Buffer.from('op-admin:demo-op-admin').toString('base64')}` };

beforeAll(async () => {
  p = await startPipeline({ now: () => clock });
}, 60_000);
afterAll(async () => {
  await p?.stop();
});

const LINKS = [
  {
    id: 'air-003',
    rule: 'air-offline',
    port: () => p.pipeline.gateway.ports().hj212!,
    frame: (at: number) =>
      Buffer.from(
        encodeHj212({ QN: formatHj212Time(at, true), ST: '22', CN: '2011', PW: 'demo-air-003', MN: 'GZ440300AIR0000000000003', Flag: 5, cp: { fields: { DataTime: formatHj212Time(at) }, pollutants: { a34004: { Rtd: 20, Flag: 'N' } } } }),
      ),
  },
  {
    id: 'gauge-003',
    rule: 'river-offline',
    port: () => p.pipeline.gateway.ports().sl651!,
    frame: (at: number) => encodeSl651({ centre: 1, station: '0012345003', password: '1234', funcCode: 0x32, serial: 1, sendTime: at, groups: [{ obsTime: at, elements: [{ id: 'Z', value: 2 }] }] }),
  },
  {
    id: 'uitd-001',
    rule: 'fire-offline',
    port: () => p.pipeline.gateway.ports().gbt26875Tcp!,
    frame: (at: number) =>
      encodeGbt26875Frame({
        serial: 1,
        time: at,
        source: '000000000701',
        destination: '000000000001',
        command: 'send',
        appData: encodeGbt26875App([{ type: 'componentAnalog', system: { type: 1, address: 1 }, component: { type: 31, address: 7 }, analogType: 3, raw: 215, time: at }]),
      }),
  },
];

async function connection(id: string): Promise<string> {
  const res = await fetch(`${p.httpUrl}/api/devices/${id}`, { headers });
  const body = (await res.json()) as { device: { connection: { state: string } } };
  return body.device.connection.state;
}

async function offlineAlert(id: string, rule: string): Promise<string | undefined> {
  const changes = await p.store.alertHistory({ deviceId: id });
  return changes.filter((c) => c.ruleId === rule).at(-1)?.event.type;
}

/** Sends one frame and waits for any answer. */
async function report(link: (typeof LINKS)[number], at: number): Promise<LinkClient> {
  const c = await connectLink(link.port());
  c.send(link.frame(at));
  await c.waitFor((rx) => rx.length > 0, 20_000, `${link.id}'s answer`);
  return c;
}

describe('the connection state of protocol-listener devices', () => {
  it('shows them connected, then disconnected, then offline by the absence rule, and back when they report', async () => {
    const clients = await Promise.all(LINKS.map((l) => report(l, T0)));
    for (const l of LINKS) await eventually(async () => (await connection(l.id)) === 'connected', 20_000, `${l.id} connected`);

    for (const c of clients) c.end();
    for (const l of LINKS) await eventually(async () => (await connection(l.id)) === 'disconnected', 20_000, `${l.id} disconnected`);

    // silent for longer than reportIntervalSec (300 s) x 3: the absence rules raise their alerts
    clock = T0 + 16 * 60_000;
    await p.pipeline.rules.sweep();
    for (const l of LINKS) await eventually(async () => (await offlineAlert(l.id, l.rule)) === 'raised', 20_000, `${l.rule} raised for ${l.id}`);

    // a report clears each
    clock = T0 + 17 * 60_000;
    const back = await Promise.all(LINKS.map((l) => report(l, clock)));
    try {
      for (const l of LINKS) await eventually(async () => (await offlineAlert(l.id, l.rule)) === 'cleared', 20_000, `${l.rule} cleared for ${l.id}`);
      // the status reading reaches the store in its write group: wait for the final state
      for (const l of LINKS) await eventually(async () => (await connection(l.id)) === 'connected', 20_000, `${l.id} connected again`);
    } finally {
      for (const c of back) c.end();
    }
  });
});
