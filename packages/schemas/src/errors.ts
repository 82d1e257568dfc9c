/**
 * The error catalogue. Code branches on `err.code` (and `retryable`), never on message text.
 * Names follow GANZHI_ERR_<AREA>_<WHAT>.
 */
export const ERRORS = {
  // configuration
  GANZHI_ERR_CFG_INVALID: { retryable: false, message: 'invalid configuration' },
  // registry
  GANZHI_ERR_REG_INVALID: { retryable: false, message: 'invalid registry file' },
  GANZHI_ERR_REG_BUSY: { retryable: true, message: 'too many secret checks waiting' },
  // gateway
  GANZHI_ERR_GW_AUTH: { retryable: false, message: 'bad username or password' },
  GANZHI_ERR_GW_FORBIDDEN_PUBLISH: { retryable: false, message: 'publish not allowed on this topic' },
  GANZHI_ERR_GW_FORBIDDEN_SUBSCRIBE: { retryable: false, message: 'subscribe not allowed on this topic' },
  GANZHI_ERR_GW_PAYLOAD_TOO_LARGE: { retryable: false, message: 'payload exceeds the size limit' },
  GANZHI_ERR_GW_BAD_COMMAND: { retryable: false, message: 'operator command is malformed' },
  GANZHI_ERR_GW_CLIENT_ID: { retryable: false, message: 'client id belongs to another principal (CONNACK 2, identifier rejected)' },
  GANZHI_ERR_GW_TLS: { retryable: false, message: 'TLS client certificate refused' },
  GANZHI_ERR_GW_BACKPRESSURE: { retryable: true, message: 'bus not accepting writes' },
  GANZHI_ERR_GW_AUTH_THROTTLED: { retryable: true, message: 'too many failed logins from this address or for this user' },
  GANZHI_ERR_GW_SLOW_CLIENT: { retryable: false, message: 'client does not read what it subscribed to' },
  GANZHI_ERR_GW_BAD_FRAME: { retryable: false, message: 'bytes on a protocol listener are not a well-formed frame' },
  GANZHI_ERR_GW_BAD_CRC: { retryable: false, message: 'a frame on a protocol listener fails its checksum' },
  GANZHI_ERR_GW_BUFFER_LIMIT: { retryable: false, message: 'a protocol connection exceeded its buffer limit' },
  GANZHI_ERR_GW_DISK_FULL: { retryable: true, message: 'data volume below its free-space floor: ingest paused' },
  // normalizer (dead-letter reasons)
  GANZHI_ERR_NORM_NOT_JSON: { retryable: false, message: 'payload is not valid JSON' },
  GANZHI_ERR_NORM_SCHEMA: { retryable: false, message: 'payload does not match the schema of its device kind' },
  GANZHI_ERR_NORM_NOT_FINITE: { retryable: false, message: 'a value is NaN or infinite' },
  GANZHI_ERR_NORM_OUT_OF_RANGE: { retryable: false, message: 'a value is outside its physical range' },
  GANZHI_ERR_NORM_UNKNOWN_DEVICE: { retryable: false, message: 'device is not in the registry' },
  GANZHI_ERR_NORM_BAD_FRAME: { retryable: false, message: 'protocol frame could not be decoded' },
  GANZHI_ERR_NORM_BAD_CRC: { retryable: false, message: 'protocol frame checksum does not verify' },
  GANZHI_ERR_NORM_EMPTY: { retryable: false, message: 'payload is empty' },
  GANZHI_ERR_NORM_UNSUPPORTED: { retryable: false, message: 'payload format or command is not supported' },
  GANZHI_ERR_NORM_UNIT: { retryable: false, message: 'a value arrived in a unit that cannot be converted to its metric\'s unit' },
  // bus
  GANZHI_ERR_BUS_DECODE: { retryable: false, message: 'record does not match its topic schema' },
  GANZHI_ERR_BUS_CLOSED: { retryable: false, message: 'bus is closed' },
  GANZHI_ERR_BUS_UNAVAILABLE: { retryable: true, message: 'bus is not reachable' },
  GANZHI_ERR_BUS_REJECTED: { retryable: false, message: 'the brokers refused the records' },
  GANZHI_ERR_BUS_CORRUPT: { retryable: false, message: 'log segment is corrupt' },
  GANZHI_ERR_BUS_RETENTION_LOSS: { retryable: false, message: 'records were deleted by retention before a consumer read them' },
  // any stage: an untyped exception while handling a record (parked in the dead-letter topic)
  GANZHI_ERR_STAGE_FAILED: { retryable: false, message: 'the stage failed on this record' },
  GANZHI_ERR_BUS_AUTH: { retryable: false, message: 'the brokers refused the credentials or the TLS handshake' },
  GANZHI_ERR_BUS_TOPIC_MISMATCH: { retryable: false, message: 'an existing Kafka topic is not laid out as Ganzhi needs' },
  // HTTP API
  GANZHI_ERR_API_NOT_FOUND: { retryable: false, message: 'no such route' },
  GANZHI_ERR_API_INTERNAL: { retryable: true, message: 'internal error' },
  GANZHI_ERR_API_BAD_REQUEST: { retryable: false, message: 'request does not match the route schema' },
  GANZHI_ERR_API_AUTH: { retryable: false, message: 'operator credentials required' },
  GANZHI_ERR_API_FORBIDDEN: { retryable: false, message: "the operator's role does not allow this action" },
  GANZHI_ERR_API_METHOD: { retryable: false, message: 'method not allowed on this path' },
  // store
  GANZHI_ERR_STORE_UNAVAILABLE: { retryable: true, message: 'store is not reachable' },
  GANZHI_ERR_STORE_QUERY: { retryable: false, message: 'store query failed' },
  // rules
  GANZHI_ERR_RULE_INVALID: { retryable: false, message: 'invalid rule file' },
  // alerts
  GANZHI_ERR_ALERT_NOT_FOUND: { retryable: false, message: 'no such alert' },
  GANZHI_ERR_ALERT_TRANSITION: { retryable: false, message: 'transition not allowed from the current state' },
  GANZHI_ERR_ALERT_FORBIDDEN: { retryable: false, message: 'actor may not perform this action' },
  // notifier
  GANZHI_ERR_NOTIFY_ROUTES: { retryable: false, message: 'invalid notification routing file' },
  GANZHI_ERR_NOTIFY_TEMPLATE: { retryable: false, message: 'invalid notification template' },
  GANZHI_ERR_NOTIFY_SECRET: { retryable: false, message: 'a receiver secret cannot be resolved' },
  GANZHI_ERR_NOTIFY_DELIVERY: { retryable: true, message: 'the receiver did not accept the notification' },
  GANZHI_ERR_NOTIFY_REJECTED: { retryable: false, message: 'the receiver refused the notification for good' },
  // simulators
  GANZHI_ERR_SIM_SCENARIO: { retryable: false, message: 'invalid scenario file' },
  GANZHI_ERR_SIM_RECORDING: { retryable: false, message: 'invalid recording file' },
} as const satisfies Record<string, { retryable: boolean; message: string }>;

export type ErrorCode = keyof typeof ERRORS;

export class GanzhiError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, detail?: string, options?: { cause?: unknown; details?: Record<string, unknown> }) {
    super(detail ? `${ERRORS[code].message}: ${detail}` : ERRORS[code].message, { cause: options?.cause });
    this.name = 'GanzhiError';
    this.code = code;
    this.retryable = ERRORS[code].retryable;
    this.details = options?.details;
  }
}

/** Structural check, so that errors from a duplicate copy of this package still match. */
export function isGanzhiError(err: unknown, code?: ErrorCode): err is GanzhiError {
  if (typeof err !== 'object' || err === null) return false;
  const c = (err as { code?: unknown }).code;
  if (typeof c !== 'string' || !(c in ERRORS)) return false;
  return code === undefined || c === code;
}

/**
 * Only typed errors whose code says so are retried. An untyped exception is a stage failing on
 * the record in hand (a bug, or input its code does not expect): retrying the same record would
 * fail the same way forever, so it is parked in the dead-letter topic instead.
 */
export function isRetryable(err: unknown): boolean {
  return isGanzhiError(err) && ERRORS[err.code].retryable;
}

/** An error as it crosses a thread (structured clone keeps only an Error's message): a GanzhiError keeps its code, message and details. */
export interface WireError {
  code?: string;
  message: string;
  details?: Record<string, unknown>;
}

export function toWireError(err: unknown): WireError {
  if (isGanzhiError(err)) {
    const cause = (err as { cause?: unknown }).cause;
    const details = err.details ?? (cause instanceof Error ? { cause: cause.message } : undefined);
    return { code: err.code, message: err.message, ...(details ? { details } : {}) };
  }
  return { message: err instanceof Error ? err.message : String(err) };
}

/**
 * The error again on the receiving thread: a GanzhiError with the code and the full message it was
 * thrown with, or, for an untyped one, what `untyped` makes of its message (by default a plain Error,
 * so that it stays untyped: not retryable).
 */
export function fromWireError(w: WireError, untyped: (message: string) => Error = (m) => new Error(m)): Error {
  if (!w.code || !(w.code in ERRORS)) return untyped(w.message);
  const err = new GanzhiError(w.code as ErrorCode, undefined, w.details ? { details: w.details } : undefined);
  // the sender's message already carries the catalogue's text and the detail
  Object.defineProperty(err, 'message', { value: w.message, enumerable: false, writable: true, configurable: true });
  return err;
}
