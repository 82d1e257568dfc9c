import type { Device } from '@ganzhi/registry';
import type { Binding, Hub, Transport } from './hub';
import type { Bad, ProtocolSpec, RefusalReason } from './spec';

export interface SessionOptions {
  /** Largest partial frame kept between reads; more closes the connection. */
  maxBuffer: number;
  /** UDP: every datagram stands alone, a partial frame at its end is garbage. */
  datagram: boolean;
}

export interface Session {
  /** Processes every complete frame of `chunk` in order; resolves when all are answered. Never rejects. */
  feed(chunk: Buffer): Promise<void>;
  /** The transport ended: the device goes offline unless another connection took it over. */
  ended(): void;
  readonly device: Device | undefined;
}

/** Bad frames or garbage runs an unauthenticated connection may send before it is closed. */
const MAX_BAD_BEFORE_AUTH = 8;

/**
 * One device connection on a protocol listener. The same promises as an MQTT connection:
 * identified and authenticated from the registry by the first frame, bound to the device
 * (a later connection that authenticates replaces it), every data frame appended to
 * `ganzhi.raw.v1` before its acknowledgement is written, bad frames dead-lettered and answered
 * negatively, garbage between frames skipped, online/offline status recorded.
 */
export function createSession(spec: ProtocolSpec, hub: Hub, transport: Transport, options: SessionOptions): Session {
  const { stats, log, deps } = hub;
  let buf: Buffer = Buffer.alloc(0);
  let device: Device | undefined;
  /** The encoding this link speaks, from its first accepted frame (SL 651 §6.1.2). */
  let encoding: string | undefined;
  let closed = false;
  let badBeforeAuth = 0;
  let chain: Promise<void> = Promise.resolve();

  const binding: Binding = {
    transport,
    replaced() {
      closed = true;
      transport.close();
    },
  };

  function close(): void {
    if (closed) return;
    closed = true;
    transport.close();
  }

  function write(answer: Buffer | undefined): void {
    if (answer === undefined || closed) return;
    stats.answered++;
    transport.write(answer);
  }

  async function bad(b: Bad, bytes: Buffer): Promise<void> {
    stats.badFrames++;
    await hub.deadLetter(b.code, b.reason, bytes, device, transport);
    write(b.answer);
    if (!device && ++badBeforeAuth >= MAX_BAD_BEFORE_AUTH) {
      log.warn({ code: b.code, protocol: spec.name, peer: transport.remoteAddress }, 'too many bad frames before authenticating: connection closed');
      close();
    }
  }

  async function garbage(bytes: Buffer): Promise<void> {
    stats.garbageBytes += bytes.length;
    await bad({ type: 'bad', code: 'GANZHI_ERR_GW_BAD_FRAME', reason: `${bytes.length} bytes between frames are not a ${spec.name} frame` }, bytes);
  }

  function refuse(frame: Buffer, why: RefusalReason, id: string): void {
    stats.authFailures++;
    log.warn({ code: 'GANZHI_ERR_GW_AUTH', protocol: spec.name, id, why, peer: transport.remoteAddress }, 'device refused');
    write(spec.refuse(frame, why, deps.now()));
    close();
  }

  async function authenticate(candidate: Device, password: string | undefined): Promise<RefusalReason | undefined> {
    if (!hub.peerAllowed(candidate, transport.remoteAddress)) return 'peer';
    if (spec.passwords && !(await deps.registry.authenticate(candidate.id, password ?? ''))) return 'password';
    return undefined;
  }

  async function frame(bytes: Buffer): Promise<void> {
    const claim = spec.claim(bytes, deps.now());
    if (claim.type === 'bad') return bad(claim, bytes);
    const candidate = hub.lookup(spec.name, claim.id);
    // Length and checksum first: a corrupt frame is answered as corrupt, not as a stranger.
    const judged = spec.judge(bytes, candidate ?? device, deps.now());
    if (judged.type === 'bad') return bad(judged, bytes);
    if (candidate === undefined) return refuse(bytes, 'unknown', claim.id);
    if (device !== undefined && candidate.id !== device.id) return refuse(bytes, 'other-device', claim.id);
    const refusal = await authenticate(candidate, claim.password);
    if (refusal !== undefined) return refuse(bytes, refusal, claim.id);
    if (closed) return;
    if (judged.encoding !== undefined && encoding !== undefined && judged.encoding !== encoding) {
      return bad({ type: 'bad', code: 'GANZHI_ERR_GW_BAD_FRAME', reason: `a ${spec.name} link speaks one encoding: ${judged.encoding} frame after ${encoding} ones` }, bytes);
    }
    encoding ??= judged.encoding;
    if (device === undefined) {
      device = candidate;
      hub.bind(device, binding);
      await hub.appendStatus(device, 'online');
    }
    if (judged.keepAlive) stats.keepAlives++;
    else {
      await hub.appendFrame(device, bytes);
      stats.accepted++;
    }
    // The acknowledgement only now: the frame is durably on the bus.
    write(judged.answer);
  }

  async function drain(): Promise<void> {
    for (;;) {
      if (closed || buf.length === 0) break;
      const s = spec.split(buf);
      if (s.type === 'need') break;
      const unit = buf.subarray(0, s.length);
      buf = buf.subarray(s.length);
      if (s.type === 'skip') continue;
      if (s.type === 'garbage') await garbage(Buffer.from(unit));
      else await frame(Buffer.from(unit));
    }
    if (closed) return;
    if (options.datagram && buf.length > 0) {
      const rest = buf;
      buf = Buffer.alloc(0);
      await garbage(Buffer.from(rest));
    } else if (buf.length > options.maxBuffer) {
      stats.overflowClosed++;
      log.warn({ code: 'GANZHI_ERR_GW_BUFFER_LIMIT', protocol: spec.name, deviceId: device?.id, bytes: buf.length }, 'partial frame over the buffer limit: connection closed');
      await hub.deadLetter('GANZHI_ERR_GW_BUFFER_LIMIT', `partial frame exceeds GANZHI_PROTOCOL_MAX_BUFFER_BYTES=${options.maxBuffer}`, buf, device, transport);
      close();
    }
  }

  return {
    get device() {
      return device;
    },
    feed(chunk) {
      chain = chain.then(async () => {
        if (closed) return;
        buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
        try {
          await drain();
        } catch (err) {
          // The bus refused an append: nothing is acknowledged, the device will resend.
          log.error({ err, protocol: spec.name, deviceId: device?.id }, 'append to bus failed: no acknowledgement, connection closed');
          close();
        }
      });
      return chain;
    },
    ended() {
      closed = true;
      if (device && hub.unbind(device, binding) && !hub.closing) {
        const d = device;
        void chain.then(() => hub.appendStatus(d, 'offline')).catch((err: unknown) => log.error({ err, deviceId: d.id }, 'offline status not recorded'));
      }
    },
  };
}

