import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect as tcpConnect, type Socket } from 'node:net';
import {
  SL651_ASCII_SOH,
  crc16Modbus,
  decodeGbt26875Frame,
  decodeHj212,
  decodeSl651AsciiFrame,
  decodeSl651Frame,
  encodeHj212,
  hex4,
  hj212FlagInfo,
  sl651AsciiSerial,
  sl651Serial,
} from '@ganzhi/codecs';
import type { PayloadFormat } from '@ganzhi/schemas';
import type { Payload } from '../encode';
import type { Fleet, FleetStats } from './fleet';

/*
 * Devices that do not speak MQTT, as the gateway's protocol listeners meet them: an HJ 212 data
 * logger and an SL 651 RTU (HEX or ASCII mode) on TCP, a GB/T 26875.3 UITD on TCP or UDP. Each report is sent as its
 * protocol's frames with the device's registry password stamped in (HJ 212 PW, SL 651 password)
 * and an answer requested (HJ 212 Flag A bit); `publish` resolves when every frame has been
 * answered positively (HJ 212 CN 9014 with its QN, SL 651 ESC/ACK/EOT with its serial, GB/T
 * 26875.3 confirm with its serial), each answer checked (CRC, serial, direction). A negative
 * answer (9011, NAK, deny), a closed connection or no answer in time counts as failed.
 */

export type LinkTransport = 'tcp' | 'udp';

export interface LinkDevice {
  readonly format: PayloadFormat;
  readonly transport: LinkTransport;
}

export interface LinkPorts {
  readonly hj212?: number | undefined;
  readonly sl651?: number | undefined;
  readonly gbt26875Tcp?: number | undefined;
  readonly gbt26875Udp?: number | undefined;
}

export interface LinkFleetOptions {
  readonly host: string;
  readonly ports: LinkPorts;
  readonly devices: ReadonlyMap<string, LinkDevice>;
  readonly password: (id: string) => string;
  /** How long a frame may wait for its answer (default 30 s). */
  readonly answerTimeoutMs?: number;
}

/** Whether a scenario device talks to a protocol listener rather than MQTT. */
export function linkOf(device: { format: PayloadFormat; attributes: Readonly<Record<string, unknown>> }): LinkDevice | undefined {
  const t = device.attributes.transport;
  if (device.format === 'gbt26875') return { format: device.format, transport: t === 'udp' ? 'udp' : 'tcp' };
  if ((device.format === 'hj212' || device.format === 'sl651') && t === 'tcp') return { format: device.format, transport: 'tcp' };
  return undefined;
}

interface Pending {
  resolve(): void;
  reject(err: Error): void;
}

interface Conn {
  readonly device: LinkDevice;
  write(b: Buffer): void;
  close(crash: boolean): void;
  open: boolean;
  rx: Buffer;
  pending: Map<string, Pending>;
}

/** Frames of a payload with the registry password stamped in; each with the key its answer carries. */
function prepare(format: PayloadFormat, payload: Payload, password: string): { bytes: Buffer; keys: string[] } {
  const input = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : Buffer.from(payload);
  const frames: Buffer[] = [];
  const keys: string[] = [];
  let at = 0;
  while (at < input.length) {
    if (format === 'hj212') {
      const d = decodeHj212(input, at);
      if (!d.ok) break;
      const f = d.value.frame;
      const version = hj212FlagInfo(f.Flag)?.version ?? 1;
      frames.push(Buffer.from(encodeHj212({ ...(f.QN ? { QN: f.QN } : {}), ST: f.ST ?? '22', CN: f.CN ?? '2011', PW: password, MN: f.MN ?? '', Flag: (version << 2) | 1, cp: f.cpText })));
      keys.push(f.QN ?? '');
      at = d.value.end;
    } else if (format === 'sl651' && input[at] === SL651_ASCII_SOH) {
      // ASCII mode: the password is 4 hex characters at offset 13, the CRC 4 more at the end
      const d = decodeSl651AsciiFrame(input, at);
      if (!d.ok) break;
      const frame = Buffer.from(input.subarray(at, d.value.end));
      if (/^[0-9A-Fa-f]{4}$/.test(password)) {
        frame.write(password.toUpperCase(), 13, 'latin1');
        frame.write(hex4(crc16Modbus(frame, 0, frame.length - 4)), frame.length - 4, 'latin1');
      }
      frames.push(frame);
      keys.push(String(sl651AsciiSerial(d.value.frame)));
      at = d.value.end;
    } else if (format === 'sl651') {
      const d = decodeSl651Frame(input, at);
      if (!d.ok) break;
      const frame = Buffer.from(input.subarray(at, d.value.end));
      if (/^[0-9A-Fa-f]{4}$/.test(password)) {
        Buffer.from(password, 'hex').copy(frame, 8);
        frame.writeUInt16BE(crc16Modbus(frame, 0, frame.length - 2), frame.length - 2);
      }
      frames.push(frame);
      keys.push(String(sl651Serial(d.value.frame)));
      at = d.value.end;
    } else {
      const d = decodeGbt26875Frame(input, at);
      if (!d.ok) break;
      frames.push(Buffer.from(input.subarray(at, d.value.end)));
      keys.push(String(d.value.frame.serial));
      at = d.value.end;
    }
  }
  return { bytes: Buffer.concat(frames), keys };
}

/** Reads every complete answer at the start of `conn.rx`, settling the frames they answer. */
function readAnswers(conn: Conn): void {
  for (;;) {
    let end: number;
    let key: string;
    let ok: boolean;
    let why = '';
    if (conn.device.format === 'hj212') {
      const d = decodeHj212(conn.rx);
      if (!d.ok) return;
      const f = d.value.frame;
      end = d.value.end;
      key = f.QN ?? '';
      ok = f.CN === '9014' && f.crcInFrame.toUpperCase() === f.crcHj212Computed;
      why = `CN ${f.CN} ${f.cpText}`;
    } else if (conn.device.format === 'sl651' && conn.rx[0] === SL651_ASCII_SOH) {
      const d = decodeSl651AsciiFrame(conn.rx);
      if (!d.ok) return;
      const f = d.value.frame;
      end = d.value.end;
      key = String(sl651AsciiSerial(f));
      ok = f.crcValid && f.direction === 'down' && (f.endChar === 'ESC' || f.endChar === 'EOT' || f.endChar === 'ACK');
      why = `end ${f.endChar} (ASCII)`;
    } else if (conn.device.format === 'sl651') {
      const d = decodeSl651Frame(conn.rx);
      if (!d.ok) return;
      const f = d.value.frame;
      end = d.value.end;
      key = String(sl651Serial(f));
      ok = f.crcValid && f.direction === 'down' && (f.endChar === 'ESC' || f.endChar === 'EOT' || f.endChar === 'ACK');
      why = `end ${f.endChar}`;
    } else {
      const d = decodeGbt26875Frame(conn.rx);
      if (!d.ok) return;
      const f = d.value.frame;
      end = d.value.end;
      key = String(f.serial);
      ok = f.checksumValid && f.command === 'confirm';
      why = `command ${String(f.command)}`;
    }
    conn.rx = conn.rx.subarray(end);
    const p = conn.pending.get(key);
    if (!p) continue;
    conn.pending.delete(key);
    if (ok) p.resolve();
    else p.reject(new Error(`negative answer to ${key}: ${why}`));
  }
}

/** A fleet of protocol-link devices; `send` also says whether every frame was answered positively. */
export interface LinkFleet extends Fleet {
  send(id: string, payload: Payload): Promise<boolean>;
}

export function createLinkFleet(options: LinkFleetOptions): LinkFleet {
  const conns = new Map<string, Conn>();
  const stats: FleetStats = { connects: 0, connectFailures: 0, disconnects: 0, published: 0, acked: 0, failed: 0, skipped: 0 };
  const timeoutMs = options.answerTimeoutMs ?? 30_000;

  function fail(conn: Conn, err: Error): void {
    conn.open = false;
    for (const p of conn.pending.values()) p.reject(err);
    conn.pending.clear();
  }

  async function open(device: LinkDevice): Promise<Omit<Conn, 'rx' | 'pending' | 'open' | 'device'> & { onData(h: (d: Buffer) => void, onClose: () => void): void }> {
    const port = device.format === 'hj212' ? options.ports.hj212 : device.format === 'sl651' ? options.ports.sl651 : device.transport === 'udp' ? options.ports.gbt26875Udp : options.ports.gbt26875Tcp;
    if (port === undefined) throw new Error(`no ${device.format}/${device.transport} port given`);
    if (device.transport === 'udp') {
      const s: UdpSocket = createSocket(options.host.includes(':') ? 'udp6' : 'udp4');
      await new Promise<void>((resolve) => s.bind(0, () => resolve()));
      return {
        write: (b) => s.send(b, port, options.host),
        close: () => s.close(),
        onData: (h, onClose) => {
          s.on('message', h);
          s.on('close', onClose);
        },
      };
    }
    const s: Socket = await new Promise((resolve, reject) => {
      const sock = tcpConnect(port, options.host, () => resolve(sock));
      sock.once('error', reject);
    });
    s.setNoDelay(true);
    return {
      write: (b) => s.write(b),
      close: (crash) => (crash ? s.destroy() : s.end()),
      onData: (h, onClose) => {
        s.on('data', h);
        s.on('error', () => undefined);
        s.on('close', onClose);
      },
    };
  }

  async function connect(id: string): Promise<boolean> {
    const device = options.devices.get(id);
    if (!device) return false;
    conns.get(id)?.close(true);
    try {
      const io = await open(device);
      const conn: Conn = { device, write: io.write, close: io.close, open: true, rx: Buffer.alloc(0), pending: new Map() };
      io.onData(
        (d) => {
          conn.rx = conn.rx.length === 0 ? d : Buffer.concat([conn.rx, d]);
          readAnswers(conn);
        },
        () => fail(conn, new Error(`${id}: connection closed`)),
      );
      conns.set(id, conn);
      stats.connects++;
      return true;
    } catch {
      stats.connectFailures++;
      return false;
    }
  }

  async function send(id: string, payload: Payload): Promise<boolean> {
    const conn = conns.get(id);
    if (!conn || !conn.open) {
      stats.skipped++;
      return false;
    }
    stats.published++;
    const { bytes, keys } = prepare(conn.device.format, payload, options.password(id));
    const answers = keys.map(
      (key) =>
        new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => {
            conn.pending.delete(key);
            reject(new Error(`${id}: no answer to ${key} in ${timeoutMs} ms`));
          }, timeoutMs);
          conn.pending.set(key, {
            resolve: () => (clearTimeout(timer), resolve()),
            reject: (err) => (clearTimeout(timer), reject(err)),
          });
        }),
    );
    if (keys.length === 0) {
      stats.failed++; // the payload holds no frame: a malformed report, nothing will answer it
      conn.write(bytes.length > 0 ? bytes : Buffer.from(typeof payload === 'string' ? payload : Buffer.from(payload)));
      return false;
    }
    conn.write(bytes);
    try {
      await Promise.all(answers);
      stats.acked++;
      return true;
    } catch {
      stats.failed++;
      return false;
    }
  }

  return {
    connect,
    send,
    async disconnect(id, mode) {
      const conn = conns.get(id);
      if (!conn) return;
      conns.delete(id);
      stats.disconnects++;
      conn.close(mode === 'crash');
      fail(conn, new Error(`${id}: disconnected`));
    },
    publish: async (id, payload) => void (await send(id, payload)),
    isConnected: (id) => conns.get(id)?.open === true,
    stats: () => stats,
    async close() {
      for (const [id, conn] of conns) {
        conn.close(false);
        fail(conn, new Error(`${id}: fleet closed`));
      }
      conns.clear();
    },
  };
}

/** One fleet for a mixed set of devices: protocol-link devices through `links`, the rest through `mqtt`. */
export function mixFleets(mqtt: Fleet, links: Fleet, isLink: (id: string) => boolean): Fleet {
  const pick = (id: string) => (isLink(id) ? links : mqtt);
  return {
    connect: (id) => pick(id).connect(id),
    disconnect: (id, mode) => pick(id).disconnect(id, mode),
    publish: (id, payload) => pick(id).publish(id, payload),
    isConnected: (id) => pick(id).isConnected(id),
    stats() {
      const a = mqtt.stats();
      const b = links.stats();
      return Object.fromEntries(Object.keys(a).map((k) => [k, a[k as keyof FleetStats] + b[k as keyof FleetStats]])) as unknown as FleetStats;
    },
    async close() {
      await Promise.all([mqtt.close(), links.close()]);
    },
  };
}
