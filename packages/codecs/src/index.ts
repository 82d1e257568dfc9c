// The normalizer core
export { normalize } from './normalize';
export type { NormalizeResult, Failure, Decoded } from './result';

// Metric catalogue
export {
  METRICS,
  UNITS,
  RIVER_GAUGE_METRICS,
  AIR_MONITOR_METRICS,
  FIRE_SENSOR_METRICS,
  PORT_DEVICE_METRICS,
  CRANE_STATES,
} from './metrics';
export type { MetricSpec, CraneState } from './metrics';

// JSON telemetry
export {
  PAYLOAD_SCHEMAS,
  RiverGaugePayloadSchema,
  AirMonitorPayloadSchema,
  FireSensorPayloadSchema,
  PortDevicePayloadSchema,
  decodeJsonTelemetry,
} from './json';
export type { RiverGaugePayload, AirMonitorPayload, FireSensorPayload, PortDevicePayload } from './json';

// Checksums and time
export { crc16Hj212, crc16Modbus, crc16Arc, swap16, hex4 } from './crc';
export {
  parseHj212Time,
  formatHj212Time,
  parseSl651Time,
  formatSl651Time,
  parseIsoTime,
  MIN_DEVICE_TS,
  MAX_FUTURE_SKEW_MS,
} from './time';

// HJ 212
export {
  HJ212_CRC_VARIANTS,
  decodeHj212,
  parseHj212Cp,
  hj212Crc,
  hj212CrcMatches,
  detectHj212CrcVariant,
  hj212FlagInfo,
} from './hj212';
export type { Hj212CrcVariant, Hj212Frame, Hj212Cp, Hj212FlagInfo } from './hj212';
export { encodeHj212, encodeHj212Cp } from './hj212-encode';
export type { Hj212FrameInput, Hj212CpInput, Hj212EncodeOptions } from './hj212-encode';
export {
  HJ212_CODES,
  HJ212_AIR_CODES,
  HJ212_CODE_FOR_METRIC,
  HJ212_ST_FOR_KIND,
  HJ212_ST_AMBIENT,
  HJ212_ST_NAMES,
} from './hj212-codes';
export type { Hj212CodeSpec } from './hj212-codes';
export { unitName, convertUnit, toCanonical, declaredUnit } from './units';
export {
  HJ212_DATA_CNS,
  parseHj212Number,
  hj212Quality,
  checkHj212Frame,
  hj212FrameToReading,
  decodeHj212Telemetry,
} from './hj212-readings';
export type { AirMetric } from './hj212-readings';

// SL 651
export { SL651_START, SL651_END, decodeSl651Frame, sl651Bytes, toHex } from './sl651';
export type { Sl651Frame, Sl651EndChar } from './sl651';
export { SL651_ELEMENT_IDS, SL651_STATION_CLASSES, decodeSl651Body, bcdDigits, bcdValue } from './sl651-body';
export type { Sl651Body, Sl651Element, Sl651Series } from './sl651-body';
export { SL651_ENCODABLE, encodeSl651, encodeSl651Element } from './sl651-encode';
export { SL651_ASCII_SOH, decodeSl651AsciiFrame, decodeSl651AsciiBody, encodeSl651Ascii } from './sl651-ascii';
export type { Sl651AsciiFrame } from './sl651-ascii';
export type { Sl651EncodableId, Sl651ElementInput, Sl651UpFrameInput } from './sl651-encode';
export {
  SL651_RIVER_METRICS,
  SL651_DATA_FUNCS,
  SL651_CRC_VARIANTS,
  sl651BodyToReadings,
  decodeSl651Telemetry,
} from './sl651-readings';
export type { RiverMetric, Sl651CrcVariant } from './sl651-readings';

// SL 651 answers (down-frames acknowledging a station)
export { encodeSl651Answer, sl651AnswerTo, sl651Serial, encodeSl651AsciiAnswer, sl651AsciiAnswerTo, sl651AsciiSerial } from './sl651-answer';
export type { Sl651AnswerInput, Sl651AnswerEnd } from './sl651-answer';

// GB/T 26875.3-2011 (fire alarm transmission: UITD to monitoring centre)
export {
  GBT26875_HEAD,
  GBT26875_TAIL,
  GBT26875_CONTROL_LEN,
  GBT26875_MAX_APP_LEN,
  GBT26875_OVERHEAD,
  GBT26875_COMMANDS,
  gbt26875Checksum,
  gbt26875Address,
  gbt26875TimeBytes,
  parseGbt26875Time,
  gbt26875FrameLength,
  decodeGbt26875Frame,
  encodeGbt26875Frame,
  gbt26875Answer,
} from './gbt26875';
export type { Gbt26875Frame, Gbt26875FrameInput, Gbt26875Command } from './gbt26875';
export {
  GBT26875_TYPES,
  SYSTEM_STATE_BITS,
  COMPONENT_STATE_BITS,
  UITD_STATE_BITS,
  OPERATION_BITS,
  ANALOG_TYPES,
  SYSTEM_TYPES,
  COMPONENT_TYPES,
  isGbt26875Query,
  decodeGbt26875App,
  encodeGbt26875App,
  gbt26875Bits,
} from './gbt26875-app';
export type { Gbt26875Object, Gbt26875ObjectInput, Gbt26875AppData, Gbt26875System, Gbt26875Component, Gbt26875TypeName } from './gbt26875-app';
export { gbt26875ComponentId, gbt26875FrameToReadings, decodeGbt26875Telemetry } from './gbt26875-readings';
