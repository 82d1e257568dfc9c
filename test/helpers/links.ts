import { createSocket } from 'node:dgram';
import { connect as tcpConnect, type Socket } from 'node:net';
import type { Bus } from '@ganzhi/bus';
import type { DeadLetter, RawEnvelope } from '@ganzhi/schemas';

/** A device's TCP connection to a protocol listener: what it sends, everything it has received. */
export interface LinkClient {
  send(bytes: Buffer | string): void;
  /** Bytes received so far. */
  received(): Buffer;
  /** Resolves when `predicate(received)` holds; rejects after `timeoutMs` or when the server closes first. */
  waitFor(predicate: (rx: Buffer) => boolean, timeoutMs?: number, what?: string): Promise<Buffer>;
  /** Resolves when the server has closed the connection. */
  closed: Promise<void>;
  isClosed(): boolean;
  end(): void;
}

export async function connectLink(port: number): Promise<LinkClient> {
  const socket: Socket = await new Promise((resolve, reject) => {
    const s = tcpConnect(port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
  return wrap((b) => socket.write(b), (onData, onClose) => {
    socket.on('data', onData);
    socket.on('error', () => undefined);
    socket.on('close', onClose);
  }, () => socket.destroy());
}

/** A UITD on UDP: one socket, datagrams to the listener, answers back. */
export async function connectUdp(port: number): Promise<LinkClient> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  return wrap((b) => socket.send(b, port, '127.0.0.1'), (onData, onClose) => {
    socket.on('message', onData);
    socket.on('close', onClose);
  }, () => socket.close());
}

function wrap(write: (b: Buffer) => void, listen: (onData: (d: Buffer) => void, onClose: () => void) => void, end: () => void): LinkClient {
  let rx = Buffer.alloc(0);
  let isClosed = false;
  const waiters = new Set<() => void>();
  let markClosed!: () => void;
  const closed = new Promise<void>((r) => (markClosed = r));
  listen(
    (d) => {
      rx = Buffer.concat([rx, d]);
      for (const w of [...waiters]) w();
    },
    () => {
      isClosed = true;
      markClosed();
      for (const w of [...waiters]) w();
    },
  );
  return {
    send: (b) => write(typeof b === 'string' ? Buffer.from(b, 'utf8') : b),
    received: () => rx,
    closed,
    isClosed: () => isClosed,
    end,
    waitFor(predicate, timeoutMs = 20_000, what = 'answer') {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (predicate(rx)) {
            done();
            resolve(rx);
          } else if (isClosed) {
            done();
            reject(new Error(`connection closed before ${what}; received ${rx.toString('hex')}`));
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`timed out waiting for ${what}; received ${rx.toString('hex')}`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
  };
}

/** Everything appended to the raw and dead-letter topics, read by a consumer group of the test's own. */
export async function watchBus(bus: Bus, group: string): Promise<{ raw: RawEnvelope[]; dead: DeadLetter[]; close(): Promise<void> }> {
  const raw: RawEnvelope[] = [];
  const dead: DeadLetter[] = [];
  const sub = await bus.subscribe(group, {
    'ganzhi.raw.v1': async (batch) => {
      for (const d of batch) raw.push(d.value);
    },
    'ganzhi.deadletter.v1': async (batch) => {
      for (const d of batch) dead.push(d.value);
    },
  });
  return { raw, dead, close: () => sub.close() };
}

/** Occurrences of `needle` in `hay`. */
export function count(hay: Buffer, needle: Buffer | string): number {
  const n = typeof needle === 'string' ? Buffer.from(needle) : needle;
  let c = 0;
  for (let i = hay.indexOf(n); i >= 0; i = hay.indexOf(n, i + 1)) c++;
  return c;
}
