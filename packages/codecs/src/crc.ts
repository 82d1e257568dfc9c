/**
 * The 16-bit checksums used by HJ 212 and SL 651 devices (domain README §0 items 1 and 5).
 * All work on bytes; `start`/`end` select a range without copying.
 */

/**
 * HJ 212-2017 checksum, after the standard's reference C code (§6.3, Appendix A):
 * `reg = (reg >> 8) ^ byte` (NOT Modbus' `reg ^= byte`), then 8 reflected shifts with 0xA001,
 * init 0xFFFF, no final XOR. Printed high byte first: the standard's own example gives 0x1C80.
 */
export function crc16Hj212(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let reg = 0xffff;
  for (let i = start; i < end; i++) {
    reg = (reg >> 8) ^ bytes[i]!;
    for (let k = 0; k < 8; k++) reg = reg & 1 ? (reg >> 1) ^ 0xa001 : reg >> 1;
  }
  return reg;
}

function crc16Reflected(init: number, bytes: Uint8Array, start: number, end: number): number {
  let reg = init;
  for (let i = start; i < end; i++) {
    reg ^= bytes[i]!;
    for (let k = 0; k < 8; k++) reg = reg & 1 ? (reg >> 1) ^ 0xa001 : reg >> 1;
  }
  return reg;
}

/** CRC-16/MODBUS: reflected poly 0xA001, init 0xFFFF (SL 651 uses it, sent high byte first). */
export function crc16Modbus(bytes: Uint8Array, start = 0, end = bytes.length): number {
  return crc16Reflected(0xffff, bytes, start, end);
}

/** CRC-16/ARC: reflected poly 0xA001, init 0x0000 (seen on some HJ 212 devices). */
export function crc16Arc(bytes: Uint8Array, start = 0, end = bytes.length): number {
  return crc16Reflected(0, bytes, start, end);
}

/** Swaps the two bytes of a 16-bit value (a CRC printed low byte first). */
export function swap16(v: number): number {
  return ((v & 0xff) << 8) | (v >> 8);
}

const HEX = '0123456789ABCDEF';

/** Four upper-case hex digits, high nibble first. */
export function hex4(v: number): string {
  return HEX[(v >> 12) & 15]! + HEX[(v >> 8) & 15]! + HEX[(v >> 4) & 15]! + HEX[v & 15]!;
}
