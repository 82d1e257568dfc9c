/**
 * A load worker process (forked by bench/load/fleet.ts, IPC only): plays its share of the devices
 * over raw TCP sockets, one MQTT connection each, and publishes QoS 1 JSON telemetry either at a
 * rate (open loop, round robin over devices, at most `window` unacknowledged per device) or closed
 * loop (each PUBACK releases the next publish). It measures PUBACK latency into a histogram and
 * answers `mark` requests with its counters. Every loop is bounded by its device list and timers.
 */
import { connect, type Socket } from 'node:net';
import { emptyHistogram, record } from '../lib/hist';
import type { DeviceSpec } from './devices';
import { CONNACK, DISCONNECT, PINGREQ, PUBACK, createSplitter, encodeConnect, encodePublishQos1, topicField } from './packets';
import type { FromWorker, Spike, ToWorker } from './protocol';

const IDS = 1024; // message ids 1..1023 per connection; a window must stay below this
const TICK_MS = 4;
const SPIKE_GAP_MS = 3_000; // a gauge spikes at most once per this, with normal readings between
const NORMAL_BETWEEN_SPIKES = 5;

interface Conn {
  readonly spec: DeviceSpec;
  readonly topic: Buffer;
  socket?: Socket;
  up: boolean;
  inflight: number;
  nextId: number;
  readonly sentAt: Float64Array;
  lastTs: number;
  spikeArmed: boolean;
  normalSinceSpike: number;
  lastSpikeAt: number;
  /** performance.now() of the last packet written (for keep-alive). */
  lastSent: number;
}

const send = (m: FromWorker) => process.send?.(m);

let conns: Conn[] = [];
let gauges: Conn[] = [];
let window = 8;
let rate = -1; // -1 stopped, 0 closed loop, > 0 msgs/s
let spikesPerSec = 0;
let sent = 0;
let acked = 0;
let throttled = 0;
let dropped = 0;
let spikeSeq = 0;
let hist = emptyHistogram();
let spikes: Spike[] = [];
let ticker: NodeJS.Timeout | undefined;
let pinger: NodeJS.Timeout | undefined;
let keepaliveSec = 0;
let t0 = 0;
let due = 0; // publishes owed since t0 at the current rate
let spikeDebt = 0;
let lastTick = 0;
let rr = 0;
let gaugeRr = 0;

const epochNow = () => performance.timeOrigin + performance.now();

function publish(c: Conn): void {
  let ts = Date.now();
  if (ts <= c.lastTs) ts = c.lastTs + 1;
  c.lastTs = ts;
  let body: string;
  if (c.spikeArmed && c.spec.spikeLevel !== undefined) {
    const value = (c.spec.spikeLevel + (spikeSeq++ % 500) * 0.001).toFixed(3);
    body = `{"ts":${ts},"waterLevel":${value},"batteryV":12.6}`;
    spikes.push({ deviceId: c.spec.id, value: Number(value), sentAt: epochNow() });
    c.spikeArmed = false;
    c.normalSinceSpike = 0;
    c.lastSpikeAt = ts;
  } else {
    body = '{"ts":' + ts + c.spec.suffix;
    c.normalSinceSpike++;
  }
  const id = c.nextId;
  c.nextId = id >= IDS - 1 ? 1 : id + 1;
  c.sentAt[id] = performance.now();
  c.inflight++;
  sent++;
  c.lastSent = performance.now();
  c.socket!.write(encodePublishQos1(c.topic, id, body));
}

function onPuback(c: Conn, id: number): void {
  const at = c.sentAt[id] ?? 0;
  if (at > 0) record(hist, performance.now() - at);
  c.sentAt[id] = 0;
  c.inflight--;
  acked++;
  if (rate === 0 && c.up && c.inflight < window) publish(c);
}

function openConn(c: Conn, host: string, port: number, auth: boolean, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    socket.setNoDelay(true);
    c.socket = socket;
    let settled = false;
    const timer = setTimeout(() => fail(new Error('CONNACK timeout')), timeoutMs);
    const fail = (err: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      reject(err);
    };
    const split = createSplitter((type, _flags, buf, start) => {
      if (type === PUBACK) onPuback(c, buf.readUInt16BE(start));
      else if (type === CONNACK && !settled) {
        const rc = buf[start + 1];
        if (rc !== 0) return fail(new Error(`CONNACK return code ${rc}`));
        settled = true;
        clearTimeout(timer);
        c.up = true;
        resolve();
      }
    });
    socket.on('data', split);
    socket.on('error', (err) => fail(err));
    socket.on('close', () => {
      if (c.up) dropped++;
      c.up = false;
      fail(new Error('connection closed before CONNACK'));
    });
    // The first PINGREQ comes at a random point of the first period, so pings spread evenly in time.
    c.lastSent = performance.now() - Math.random() * keepaliveSec * 1000;
    socket.write(encodeConnect(c.spec.id, keepaliveSec, auth ? c.spec.id : undefined, auth ? c.spec.password : undefined));
  });
}

async function connectAll(msg: Extract<ToWorker, { type: 'connect' }>): Promise<void> {
  window = Math.min(IDS - 2, Math.max(1, msg.window));
  conns = msg.devices.map((spec) => ({
    spec,
    topic: topicField(spec.topic),
    up: false,
    inflight: 0,
    nextId: 1,
    sentAt: new Float64Array(IDS),
    lastTs: 0,
    spikeArmed: false,
    normalSinceSpike: NORMAL_BETWEEN_SPIKES,
    lastSpikeAt: 0,
    lastSent: 0,
  }));
  keepaliveSec = msg.keepaliveSec ?? 0;
  clearInterval(pinger);
  if (keepaliveSec > 0) {
    // Like a device's MQTT client: PINGREQ when nothing was sent for a keep-alive period.
    pinger = setInterval(() => {
      const due = performance.now() - keepaliveSec * 1000;
      for (const c of conns) {
        if (c.up && c.lastSent < due) {
          c.lastSent = performance.now();
          c.socket!.write(PINGREQ);
        }
      }
    }, 1000);
  }
  gauges = conns.filter((c) => c.spec.spikeLevel !== undefined);
  const started = performance.now();
  let next = 0;
  let failed = 0;
  let busyRetries = 0;
  let firstError: string | undefined;
  const lane = async () => {
    for (let i = next++; i < conns.length; i = next++) {
      // A busy server answers CONNACK 3 (server unavailable): real devices retry after a pause.
      for (let attempt = 1; ; attempt++) {
        try {
          await openConn(conns[i]!, msg.host, msg.port, msg.auth, 60_000);
          break;
        } catch (err) {
          const text = err instanceof Error ? err.message : String(err);
          if (text === 'CONNACK return code 3' && attempt < 20) {
            busyRetries++;
            await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
            continue;
          }
          failed++;
          firstError ??= text;
          break;
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, msg.concurrency) }, lane));
  conns = conns.filter((c) => c.up);
  gauges = conns.filter((c) => c.spec.spikeLevel !== undefined);
  send({ type: 'connected', connected: conns.length, failed, busyRetries, ms: performance.now() - started, ...(firstError ? { firstError } : {}) });
}

function armSpikes(dtMs: number): void {
  if (spikesPerSec <= 0 || gauges.length === 0) return;
  spikeDebt = Math.min(spikeDebt + (spikesPerSec * dtMs) / 1000, 10);
  const now = Date.now();
  for (let tries = 0; spikeDebt >= 1 && tries < gauges.length; tries++) {
    const g = gauges[gaugeRr++ % gauges.length]!;
    if (g.spikeArmed || g.normalSinceSpike < NORMAL_BETWEEN_SPIKES || now - g.lastSpikeAt < SPIKE_GAP_MS) continue;
    g.spikeArmed = true;
    armed.push(g);
    spikeDebt--;
  }
}

/** Gauges armed for a spike: they take the next publish slots (at 10,000 devices and 100 msg/s a device's own turn comes every 100 s). */
let armed: Conn[] = [];

function tick(): void {
  const now = performance.now();
  armSpikes(now - lastTick);
  lastTick = now;
  if (rate <= 0) return;
  const owed = Math.floor((rate * (now - t0)) / 1000) - due;
  if (owed <= 0) return;
  due += owed;
  let left = owed;
  if (armed.length > 0) {
    const waiting: Conn[] = [];
    for (const g of armed) {
      if (!g.spikeArmed) continue;
      if (left > 0 && g.up && g.inflight < window) {
        publish(g);
        left--;
      } else waiting.push(g);
    }
    armed = waiting;
  }
  const n = conns.length;
  // Round robin over the devices; a device with a full window is skipped for this tick.
  for (let scanned = 0; left > 0 && scanned < n; ) {
    const c = conns[rr++ % n]!;
    if (c.up && c.inflight < window) {
      publish(c);
      left--;
      scanned = 0;
    } else scanned++;
  }
  throttled += left;
}

function setRate(r: number, w?: number): void {
  if (w !== undefined) window = Math.min(IDS - 2, Math.max(1, w));
  rate = r;
  t0 = performance.now();
  lastTick = t0;
  due = 0;
  ticker ??= setInterval(tick, TICK_MS);
  if (rate === 0) for (const c of conns) while (c.up && c.inflight < window) publish(c);
}

async function stop(timeoutMs: number): Promise<void> {
  rate = -1;
  spikesPerSec = 0;
  if (ticker) clearInterval(ticker);
  ticker = undefined;
  const deadline = Date.now() + timeoutMs;
  const inflight = () => conns.reduce((s, c) => s + (c.up ? c.inflight : 0), 0);
  while (inflight() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  send({ type: 'stopped', inflight: inflight() });
}

function mark(): void {
  const m: FromWorker = {
    type: 'mark',
    sent,
    acked,
    throttled,
    inflight: conns.reduce((s, c) => s + c.inflight, 0),
    connected: conns.filter((c) => c.up).length,
    dropped,
    hist,
    spikes,
  };
  hist = emptyHistogram();
  spikes = [];
  send(m);
}

function close(): void {
  if (ticker) clearInterval(ticker);
  clearInterval(pinger);
  for (const c of conns) {
    c.up = false;
    c.socket?.end(DISCONNECT);
  }
  setTimeout(() => process.exit(0), 500).unref();
  // Sockets that do not close in time are destroyed with the process.
  setTimeout(() => conns.forEach((c) => c.socket?.destroy()), 300).unref();
}

process.on('message', (msg: ToWorker) => {
  const fail = (err: unknown) => send({ type: 'error', message: err instanceof Error ? err.message : String(err) });
  try {
    switch (msg.type) {
      case 'connect':
        connectAll(msg).catch(fail);
        break;
      case 'rate':
        setRate(msg.rate, msg.window);
        break;
      case 'spikes':
        // A random phase: each worker's spikes fall independently of the others' (in step, two
        // workers' spikes left in the same millisecond and met the same pause: one event, two samples).
        if (spikesPerSec === 0 && msg.perSec > 0) spikeDebt = Math.random();
        spikesPerSec = msg.perSec;
        ticker ??= setInterval(tick, TICK_MS);
        break;
      case 'mark':
        mark();
        break;
      case 'stop':
        stop(msg.timeoutMs).catch(fail);
        break;
      case 'close':
        close();
        break;
      default: {
        const never: never = msg;
        fail(new Error(`unknown message ${JSON.stringify(never)}`));
      }
    }
  } catch (err) {
    fail(err);
  }
});
// The bench going away ends the worker too.
process.on('disconnect', () => process.exit(0));
send({ type: 'ready' });
