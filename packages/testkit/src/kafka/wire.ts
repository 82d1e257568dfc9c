/**
 * Just enough of the Kafka wire protocol for the test proxy: request/response framing, and the
 * responses that carry broker addresses (Metadata, FindCoordinator) or the API list (ApiVersions).
 * Reference: https://kafka.apache.org/protocol (message formats; "flexible" versions use compact
 * arrays/strings and tagged fields).
 */

export const API = { Metadata: 3, FindCoordinator: 10, SaslHandshake: 17, ApiVersions: 18, SaslAuthenticate: 36, DescribeCluster: 60 } as const;

/** Highest versions whose address-carrying responses the proxy can rewrite (all non-flexible). */
export const MAX_REWRITABLE: Readonly<Record<number, number>> = { [API.Metadata]: 8, [API.FindCoordinator]: 2 };

export interface RequestHeader {
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly correlationId: number;
}

/** Splits a byte stream into size-prefixed frames (the 4-byte size is not part of the frame). */
export class FrameReader {
  #buf: Buffer = Buffer.alloc(0);
  push(chunk: Buffer): Buffer[] {
    this.#buf = this.#buf.length === 0 ? chunk : Buffer.concat([this.#buf, chunk]);
    const frames: Buffer[] = [];
    while (this.#buf.length >= 4) {
      const size = this.#buf.readInt32BE(0);
      if (size < 0 || size > 200 * 1024 * 1024) throw new Error(`bad Kafka frame size ${size}`);
      if (this.#buf.length < 4 + size) break;
      frames.push(this.#buf.subarray(4, 4 + size));
      this.#buf = this.#buf.subarray(4 + size);
    }
    return frames;
  }
}

export function frame(body: Buffer): Buffer {
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length);
  return Buffer.concat([size, body]);
}

export function requestHeader(f: Buffer): RequestHeader {
  return { apiKey: f.readInt16BE(0), apiVersion: f.readInt16BE(2), correlationId: f.readInt32BE(4) };
}

/** The body of a non-flexible request (header v1: key, version, correlation id, client id). */
export function requestBody(f: Buffer): Reader {
  const r = new Reader(f, 8);
  r.nullableString();
  return r;
}

export class Reader {
  constructor(
    readonly buf: Buffer,
    public pos = 0,
  ) {}
  int16(): number {
    const v = this.buf.readInt16BE(this.pos);
    this.pos += 2;
    return v;
  }
  int32(): number {
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  uvarint(): number {
    let v = 0;
    for (let shift = 0; ; shift += 7) {
      const b = this.buf[this.pos++]!;
      v += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return v;
    }
  }
  nullableString(): string | null {
    const n = this.int16();
    if (n < 0) return null;
    const s = this.buf.toString('utf8', this.pos, this.pos + n);
    this.pos += n;
    return s;
  }
  string(): string {
    return this.nullableString() ?? '';
  }
  bytes(): Buffer {
    const n = this.int32();
    const b = this.buf.subarray(this.pos, this.pos + Math.max(0, n));
    this.pos += Math.max(0, n);
    return b;
  }
  /** Skips tagged fields (flexible versions). */
  tags(): void {
    for (let n = this.uvarint(); n > 0; n--) {
      this.uvarint();
      this.pos += this.uvarint();
    }
  }
  rest(): Buffer {
    return this.buf.subarray(this.pos);
  }
}

export class Writer {
  readonly #parts: Buffer[] = [];
  int16(v: number): this {
    const b = Buffer.alloc(2);
    b.writeInt16BE(v);
    this.#parts.push(b);
    return this;
  }
  int32(v: number): this {
    const b = Buffer.alloc(4);
    b.writeInt32BE(v);
    this.#parts.push(b);
    return this;
  }
  int64(v: bigint): this {
    const b = Buffer.alloc(8);
    b.writeBigInt64BE(v);
    this.#parts.push(b);
    return this;
  }
  uvarint(v: number): this {
    const out: number[] = [];
    do {
      let b = v % 128;
      v = Math.floor(v / 128);
      if (v > 0) b |= 0x80;
      out.push(b);
    } while (v > 0);
    this.#parts.push(Buffer.from(out));
    return this;
  }
  nullableString(s: string | null): this {
    if (s === null) return this.int16(-1);
    const b = Buffer.from(s, 'utf8');
    this.int16(b.length);
    this.#parts.push(b);
    return this;
  }
  bytes(b: Buffer): this {
    this.int32(b.length);
    this.#parts.push(b);
    return this;
  }
  raw(b: Buffer): this {
    this.#parts.push(b);
    return this;
  }
  build(): Buffer {
    return Buffer.concat(this.#parts);
  }
}

/** Maps a broker's advertised address to the proxy address that stands for it. */
export type AddressMap = (host: string, port: number) => { host: string; port: number };

/** A Metadata response (v0-v8, after the correlation id) with every broker's address mapped. */
export function rewriteMetadata(body: Buffer, version: number, map: AddressMap): Buffer {
  if (version > MAX_REWRITABLE[API.Metadata]!) throw new Error(`Metadata v${version} cannot be rewritten`);
  const r = new Reader(body);
  const w = new Writer();
  if (version >= 3) w.int32(r.int32()); // throttle_time_ms
  const n = r.int32();
  w.int32(n);
  for (let i = 0; i < n; i++) {
    w.int32(r.int32()); // node_id
    const to = map(r.string(), r.int32());
    w.nullableString(to.host).int32(to.port);
    if (version >= 1) w.nullableString(r.nullableString()); // rack
  }
  return w.raw(r.rest()).build();
}

/** A FindCoordinator response (v0-v2, after the correlation id) with the coordinator's address mapped. */
export function rewriteFindCoordinator(body: Buffer, version: number, map: AddressMap): Buffer {
  if (version > MAX_REWRITABLE[API.FindCoordinator]!) throw new Error(`FindCoordinator v${version} cannot be rewritten`);
  const r = new Reader(body);
  const w = new Writer();
  if (version >= 1) w.int32(r.int32()); // throttle_time_ms
  const error = r.int16();
  w.int16(error);
  if (version >= 1) w.nullableString(r.nullableString()); // error_message
  w.int32(r.int32()); // node_id
  const host = r.string();
  const port = r.int32();
  const to = error === 0 ? map(host, port) : { host, port };
  w.nullableString(to.host).int32(to.port);
  return w.raw(r.rest()).build();
}

export interface ApiRange {
  readonly key: number;
  readonly min: number;
  readonly max: number;
}

/**
 * An ApiVersions response (after the correlation id; flexible from v3) with its API list passed
 * through `edit`, so the proxy can cap versions it must rewrite and add the SASL APIs it serves.
 */
export function rewriteApiVersions(body: Buffer, version: number, edit: (apis: ApiRange[]) => ApiRange[]): Buffer {
  const flexible = version >= 3;
  const r = new Reader(body);
  const error = r.int16();
  const n = flexible ? r.uvarint() - 1 : r.int32();
  const apis: ApiRange[] = [];
  for (let i = 0; i < n; i++) {
    apis.push({ key: r.int16(), min: r.int16(), max: r.int16() });
    if (flexible) r.tags();
  }
  if (error !== 0) return body;
  const out = edit(apis);
  const w = new Writer().int16(error);
  if (flexible) w.uvarint(out.length + 1);
  else w.int32(out.length);
  for (const a of out) {
    w.int16(a.key).int16(a.min).int16(a.max);
    if (flexible) w.uvarint(0);
  }
  return w.raw(r.rest()).build();
}
