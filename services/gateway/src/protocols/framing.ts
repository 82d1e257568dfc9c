import type { Split } from './spec';

/*
 * The framing the binary protocols share: a frame opens with a fixed marker (SL 651 HEX `7E 7E`,
 * SL 651 ASCII SOH, GB/T 26875.3 `@@`), declares its length in a fixed-size header and ends with
 * a checkable tail. One splitter serves them all: bytes that open no known frame are garbage up
 * to the next marker, a header that cannot be one is garbage up to the next marker after its own,
 * and nothing beyond a declared length is waited for. HJ 212 (text, a length that devices get
 * wrong, CR LF) has its own splitter and shares only `garbageBefore`.
 */

export interface FrameShape {
  /** The bytes a frame starts with. */
  readonly marker: readonly number[];
  /**
   * Whether the bytes so far (the marker and what follows, possibly a partial header) can still
   * open a frame; a marker byte in garbage that fails this is not waited on. Default: yes.
   */
  plausible?(buf: Buffer): boolean;
  /** Bytes needed (marker included) before `total` can be read. */
  readonly header: number;
  /** The whole frame's length from its header, or undefined when the header cannot be one. */
  total(buf: Buffer): number | undefined;
  /** Whether the complete frame of `total` bytes at the start of `buf` ends as it must. */
  tail(buf: Buffer, total: number): boolean;
}

/** Whether `marker` is at `at` in `buf`; 'partial' when `buf` ends inside a match. */
function markerAt(buf: Buffer, marker: readonly number[], at: number): boolean | 'partial' {
  for (let i = 0; i < marker.length; i++) {
    if (at + i >= buf.length) return 'partial';
    if (buf[at + i] !== marker[i]) return false;
  }
  return true;
}

/** What `garbageBefore` needs of a frame: its marker, and where it has them its header checks. */
export type FrameStart = Pick<FrameShape, 'marker' | 'plausible'> & Partial<Pick<FrameShape, 'header' | 'total' | 'tail'>>;

/**
 * Whether a frame of one of `starts` may open at `at`: its marker (or the part of it before the
 * end of `buf`), and as far as its bytes have arrived a plausible header, a length and a tail.
 */
function viableAt(buf: Buffer, starts: readonly FrameStart[], at: number): boolean {
  return starts.some((s) => {
    const m = markerAt(buf, s.marker, at);
    if (m === 'partial') return true;
    if (!m) return false;
    const rest = buf.subarray(at);
    if (!(s.plausible?.(rest) ?? true)) return false;
    if (s.header === undefined || s.total === undefined || rest.length < s.header) return true;
    const total = s.total(rest);
    if (total === undefined) return false;
    return rest.length < total || s.tail === undefined || s.tail(rest, total);
  });
}

/**
 * Garbage before the next place from `from` where a frame of one of `starts` may open:
 * everything up to it, or everything but a tail that may be the first part of a marker.
 */
export function garbageBefore(buf: Buffer, starts: readonly FrameStart[], from = 0): Split {
  for (let at = Math.max(0, from); at < buf.length; at++) {
    if (viableAt(buf, starts, at)) return at === 0 ? { type: 'need' } : { type: 'garbage', length: at };
  }
  return buf.length > 0 ? { type: 'garbage', length: buf.length } : { type: 'need' };
}

/** The length of a complete frame of one of `shapes` that checks at `at`, or undefined. */
function completeAt(buf: Buffer, shapes: readonly FrameShape[], at: number): number | undefined {
  const rest = buf.subarray(at);
  const shape = shapes.find((s) => markerAt(rest, s.marker, 0) === true);
  if (shape === undefined || !(shape.plausible?.(rest) ?? true) || rest.length < shape.header) return undefined;
  const total = shape.total(rest);
  return total !== undefined && total <= rest.length && shape.tail(rest, total) ? total : undefined;
}

/**
 * A splitter for frames of the given shapes (tried in order on the frame's marker). A marker
 * byte pattern can occur inside a header (a GB/T 26875.3 serial of 64 is "@" after "@@", an SL 651
 * centre address 126 is 7E after 7E 7E), so a frame is never cut on a guess: while the candidate
 * at the start waits for bytes, a complete frame that checks further on proves the candidate
 * garbage (a device that sent one frame after stray bytes is answered without waiting).
 */
export function markedSplitter(shapes: readonly FrameShape[]): (buf: Buffer) => Split {
  const waitOrSkip = (buf: Buffer): Split => {
    for (let at = 1; at < buf.length; at++) if (completeAt(buf, shapes, at) !== undefined) return { type: 'garbage', length: at };
    return { type: 'need' };
  };
  return (buf) => {
    const shape = shapes.find((s) => markerAt(buf, s.marker, 0) === true);
    if (shape === undefined) return garbageBefore(buf, shapes);
    if (!(shape.plausible?.(buf) ?? true)) return garbageBefore(buf, shapes, 1);
    if (buf.length < shape.header) return waitOrSkip(buf);
    const total = shape.total(buf);
    if (total === undefined) return garbageBefore(buf, shapes, 1);
    if (buf.length < total) return waitOrSkip(buf);
    if (!shape.tail(buf, total)) return garbageBefore(buf, shapes, 1);
    return { type: 'frame', length: total };
  };
}

export interface Unit {
  readonly type: 'frame' | 'garbage';
  readonly bytes: Buffer;
}

/**
 * Every frame and garbage run in a complete message (an MQTT payload), at most `limit` units; a
 * partial frame at the end is garbage. Padding is dropped.
 */
export function* units(split: (buf: Buffer) => Split, bytes: Buffer, limit: number): Generator<Unit> {
  let buf = bytes;
  for (let n = 0; n < limit && buf.length > 0; n++) {
    const s = split(buf);
    if (s.type === 'need') {
      yield { type: 'garbage', bytes: buf };
      return;
    }
    if (s.type !== 'skip') yield { type: s.type, bytes: buf.subarray(0, s.length) };
    buf = buf.subarray(s.length);
  }
}
