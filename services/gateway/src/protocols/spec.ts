import type { Device } from '@ganzhi/registry';

/**
 * What a device protocol on its own transport (HJ 212, SL 651, GB/T 26875.3) tells the shared
 * link core: how to cut frames out of a byte stream, who a frame claims to be, whether it checks,
 * and what to answer. Pure functions of bytes, a device and a clock: no sockets, no bus.
 */
export type ProtocolName = 'hj212' | 'sl651' | 'gbt26875';

/** The next unit at the start of a buffer. */
export type Split =
  /** Not enough bytes yet to know. */
  | { readonly type: 'need' }
  /** A frame of `length` bytes (its checks are judged later). */
  | { readonly type: 'frame'; readonly length: number }
  /** `length` bytes of padding between frames (CR LF, spaces): dropped without a word. */
  | { readonly type: 'skip'; readonly length: number }
  /** `length` bytes that cannot start a frame (garbage between frames, a broken header). */
  | { readonly type: 'garbage'; readonly length: number };

export type BadCode = 'GANZHI_ERR_GW_BAD_FRAME' | 'GANZHI_ERR_GW_BAD_CRC';

/** A frame that fails its length or checksum: the protocol's negative answer where it has one. */
export interface Bad {
  readonly type: 'bad';
  readonly code: BadCode;
  readonly reason: string;
  readonly answer?: Buffer | undefined;
}

/** The identity a frame carries. */
export interface Claim {
  readonly type: 'claim';
  /** MN, station address or source address, as the registry attribute spells it (upper case for hex). */
  readonly id: string;
  /** The password the frame carries (HJ 212 PW, SL 651 password); none for GB/T 26875.3. */
  readonly password?: string | undefined;
}

export interface Accepted {
  readonly type: 'accepted';
  /** Link keep-alive (SL 651 2FH, HJ 212 9015): proves the link alive, carries no data, is not appended. */
  readonly keepAlive: boolean;
  /** The frame's encoding where a protocol has two (SL 651 HEX or ASCII): one link speaks only one. */
  readonly encoding?: string | undefined;
  /** The acknowledgement, written only after the frame is durably on the bus. */
  readonly answer?: Buffer | undefined;
}

export type RefusalReason = 'unknown' | 'password' | 'peer' | 'other-device';

export interface ProtocolSpec {
  readonly name: ProtocolName;
  /** Registry attribute naming the device on this protocol (`mn`, `station`, `address`). */
  readonly idAttribute: string;
  /** Whether the frame's password is checked against the device's secret. */
  readonly passwords: boolean;
  split(buf: Buffer): Split;
  /** Reads the identity of a complete frame, or says why it cannot be read. */
  claim(frame: Buffer, now: number): Claim | Bad;
  /**
   * Checks a frame from `device` (length, checksum with the device's settings, the protocol's
   * defaults for an unknown device); says what to answer.
   */
  judge(frame: Buffer, device: Device | undefined, now: number): Accepted | Bad;
  /** The answer refusing a frame, when the protocol has one. */
  refuse(frame: Buffer, why: RefusalReason, now: number): Buffer | undefined;
}
