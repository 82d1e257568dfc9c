import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MessageChannel } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import type { Reading } from '@ganzhi/schemas';
import type { Bus, Delivery } from '../bus';
import { runBusContract } from '../contract';
import { Collector, reading } from '../contract-kit';
import { createEmbeddedBus, type EmbeddedBus } from '../embedded/embedded-bus';
import { connectBus } from './client';
import { serveBus, type BusHost } from './host';

const fast = { retry: { initialMs: 10, maxMs: 100 } } as const;

/** An embedded bus served over a MessageChannel (structured clone, as between threads), and its client. */
interface Served {
  dir: string;
  owner: EmbeddedBus;
  host: BusHost;
  channel: MessageChannel;
}

async function serve(dir: string): Promise<{ client: Bus; served: Served }> {
  const owner = await createEmbeddedBus({ dir, ...fast });
  const channel = new MessageChannel();
  const host = serveBus(owner, channel.port1);
  return { client: connectBus(channel.port2), served: { dir, owner, host, channel } };
}

async function unserve(s: Served): Promise<void> {
  await s.host.close();
  await s.owner.close();
  s.channel.port1.close();
}

const dirs: string[] = [];
const dirOf = new WeakMap<Bus, string>();
let groups = 0;

/** A client on a freshly served bus over `dir`; closing the client also closes what serves it. */
async function openOn(dir: string): Promise<Bus> {
  const { client, served } = await serve(dir);
  dirOf.set(client, dir);
  const close = client.close.bind(client);
  client.close = async () => {
    await close();
    await unserve(served);
  };
  return client;
}

runBusContract('embedded bus served across a MessageChannel (contract)', {
  async open() {
    const dir = await mkdtemp(join(tmpdir(), 'ganzhi-remote-bus-'));
    dirs.push(dir);
    return openOn(dir);
  },
  async reopen(previous) {
    await previous.close();
    return openOn(dirOf.get(previous)!);
  },
  async cleanup() {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  },
  uniqueGroup: (prefix) => `${prefix}-${++groups}`,
  checksSchemas: false,
});

describe('the bus served across threads', () => {
  const opened: { client: Bus; served: Served }[] = [];
  afterEach(async () => {
    for (const { client, served } of opened.splice(0)) {
      await client.close().catch(() => undefined);
      await unserve(served).catch(() => undefined);
    }
  });
  const start = async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ganzhi-remote-bus-'));
    dirs.push(dir);
    const s = await serve(dir);
    opened.push(s);
    return s;
  };

  it('sends the publishes of one turn as one message and resolves each once durable', async () => {
    const { client, served } = await start();
    const messages: { t: string }[] = [];
    served.channel.port1.on('message', (m: { t: string }) => messages.push(m));
    await Promise.all(Array.from({ length: 50 }, (_, i) => client.publish('ganzhi.readings.v1', [{ key: `d${i % 5}`, value: reading('turn', `d${i % 5}`, i) }])));
    expect(messages.filter((m) => m.t === 'publish')).toHaveLength(1);
    const seen = new Collector<Delivery<Reading>>();
    const sub = await served.owner.subscribe('check', { 'ganzhi.readings.v1': async (batch) => seen.push(...batch) });
    await seen.until((items) => items.length === 50, 'the 50 records on the owning bus');
    await sub.close();
  });

  it('leaves a batch unacknowledged when the host stops while the client handles it, and a new client gets it again', async () => {
    const { client, served } = await start();
    await client.publish('ganzhi.readings.v1', [{ key: 'd1', value: reading('gone', 'd1', 1) }]);
    let entered!: () => void;
    const inHandler = new Promise<void>((r) => (entered = r));
    await client.subscribe('stage', { 'ganzhi.readings.v1': () => (entered(), new Promise<void>(() => undefined)) });
    await inHandler;
    await served.host.close(); // the client's thread is gone mid-call: it is abandoned, never closed
    opened.splice(opened.indexOf(opened.find((o) => o.client === client)!), 1);
    const again = new Collector<Delivery<Reading>>();
    const channel = new MessageChannel();
    const host = serveBus(served.owner, channel.port1);
    const fresh = connectBus(channel.port2);
    await fresh.subscribe('stage', { 'ganzhi.readings.v1': async (batch) => again.push(...batch) });
    const [d] = await again.until((items) => items.length === 1, 'the unacknowledged record, delivered again');
    expect(d!.value.sourceId).toBe('gone|d1|1');
    await fresh.close();
    await host.close();
    channel.port1.close();
    await served.owner.close();
    served.channel.port1.close();
  });

  it('closes only once the publishes it sent are answered, each resolved, and refuses new ones', async () => {
    const { client } = await start();
    let done = 0;
    const inFlight = Array.from({ length: 20 }, (_, i) => client.publish('ganzhi.readings.v1', [{ key: 'd1', value: reading('close', 'd1', i) }]).then(() => void done++));
    await client.close();
    expect(done).toBe(20);
    await Promise.all(inFlight);
    await expect(client.publish('ganzhi.readings.v1', [{ key: 'd1', value: reading('close', 'd1', 99) }])).rejects.toMatchObject({ code: 'GANZHI_ERR_BUS_CLOSED' });
  });

  it('carries a typed error across: a publish refused by the owning bus rejects with its code', async () => {
    const { client, served } = await start();
    await served.owner.close();
    await expect(client.publish('ganzhi.readings.v1', [{ key: 'd1', value: reading('closed', 'd1', 1) }])).rejects.toMatchObject({ code: 'GANZHI_ERR_BUS_CLOSED' });
  });
});
