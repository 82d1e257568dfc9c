import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { Aedes, Client } from 'aedes';
import type { Logger } from '@ganzhi/log';
import { Outbound } from './outbound';

const MAX = 1024;

/** A client whose unsent byte count the test sets; counts how often the sweep reads it. */
function fakeClient(id: string) {
  const state = { buffered: 0, reads: 0, destroyed: false };
  const conn = {
    writableNeedDrain: false,
    get writableLength() {
      state.reads++;
      return state.buffered;
    },
    destroy() {
      state.destroyed = true;
    },
  };
  const client = { id, closed: false, conn } as unknown as Client;
  return { client, state };
}

function setup() {
  const broker = new EventEmitter() as unknown as Aedes;
  const warnings: unknown[] = [];
  const log = { warn: (o: unknown) => warnings.push(o) } as unknown as Logger;
  const outbound = new Outbound(broker, { maxBufferedBytes: MAX }, log);
  return { broker, outbound, warnings };
}

const alert = { topic: 'alerts/red/river_gauge/g1/r1', qos: 1 };

describe('outbound buffers', () => {
  it('disconnects a client that was forwarded publications and holds more unsent bytes than the limit', () => {
    const { broker, outbound, warnings } = setup();
    const op = fakeClient('op-alice');
    broker.emit('client', op.client);
    expect(outbound.forward(op.client, alert)).toBe(alert);
    op.state.buffered = MAX + 1;
    outbound.sweep();
    expect(op.state.destroyed).toBe(true);
    expect(outbound.stats.slowDisconnects).toBe(1);
    expect(warnings).toMatchObject([{ code: 'GANZHI_ERR_GW_SLOW_CLIENT', client: 'op-alice', buffered: MAX + 1 }]);
    expect(outbound.watching).toBe(0);
  });

  it('does not look at connected clients that were forwarded nothing (idle devices)', () => {
    const { broker, outbound } = setup();
    const devices = Array.from({ length: 100 }, (_, i) => fakeClient(`gauge-${i}`));
    for (const d of devices) broker.emit('client', d.client);
    outbound.sweep();
    outbound.sweep();
    expect(devices.every((d) => d.state.reads === 0 && !d.state.destroyed)).toBe(true);
    expect(outbound.watching).toBe(0);
  });

  it('stops watching a client once its buffer is empty, and watches it again at its next forwarded publication', () => {
    const { broker, outbound } = setup();
    const op = fakeClient('op-bob');
    broker.emit('client', op.client);
    outbound.forward(op.client, alert);
    op.state.buffered = 100; // under the limit, not yet drained: still watched
    outbound.sweep();
    expect(outbound.watching).toBe(1);
    op.state.buffered = 0;
    outbound.sweep();
    expect(outbound.watching).toBe(0);
    const reads = op.state.reads;
    outbound.sweep();
    expect(op.state.reads).toBe(reads);

    outbound.forward(op.client, alert);
    op.state.buffered = MAX * 4;
    outbound.sweep();
    expect(op.state.destroyed).toBe(true);
  });

  it('keeps watching a client whose buffer is still empty right after a forward (Aedes writes it a tick later)', () => {
    const { outbound } = setup();
    const op = fakeClient('op-carol');
    outbound.forward(op.client, alert);
    outbound.sweep(); // the forwarded packet is not written yet
    expect(outbound.watching).toBe(1);
    op.state.buffered = MAX + 10;
    outbound.sweep();
    expect(op.state.destroyed).toBe(true);
  });

  it('forgets a client that disconnects or errors', () => {
    const { broker, outbound } = setup();
    const a = fakeClient('op-a');
    const b = fakeClient('op-b');
    outbound.forward(a.client, alert);
    outbound.forward(b.client, alert);
    expect(outbound.watching).toBe(2);
    broker.emit('clientDisconnect', a.client);
    broker.emit('clientError', b.client, new Error('read ECONNRESET'));
    expect(outbound.watching).toBe(0);
  });

  it('never forwards device-originated publications, and drops QoS 0 ones to a client that is not draining', () => {
    const { outbound } = setup();
    const op = fakeClient('op-admin');
    expect(outbound.forward(op.client, { clientId: 'gauge-1', topic: 'devices/gauge-1/telemetry', qos: 1 })).toBeNull();
    (op.client.conn as unknown as { writableNeedDrain: boolean }).writableNeedDrain = true;
    expect(outbound.forward(op.client, { topic: 'devices/gauge-1/telemetry', qos: 0 })).toBeNull();
    expect(outbound.stats.droppedTapMessages).toBe(1);
    expect(outbound.watching).toBe(0);
  });
});
