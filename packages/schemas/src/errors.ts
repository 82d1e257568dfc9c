/**
 * The error catalogue. Code branches on `err.code` (and `retryable`), never on message text.
 * Names follow GANZHI_ERR_<AREA>_<WHAT>.
 */
export const ERRORS = {
  // configuration
  GANZHI_ERR_CFG_INVALID: { retryable: false, message: 'invalid configuration' },
  // registry
  GANZHI_ERR_REG_INVALID: { retryable: false, message: 'invalid registry file' },
  // gateway
  GANZHI_ERR_GW_AUTH: { retryable: false, message: 'bad username or password' },
  GANZHI_ERR_GW_FORBIDDEN_PUBLISH: { retryable: false, message: 'publish not allowed on this topic' },
  GANZHI_ERR_GW_FORBIDDEN_SUBSCRIBE: { retryable: false, message: 'subscribe not allowed on this topic' },
  GANZHI_ERR_GW_PAYLOAD_TOO_LARGE: { retryable: false, message: 'payload exceeds the size limit' },
  GANZHI_ERR_GW_BAD_COMMAND: { retryable: false, message: 'operator command is malformed' },
  GANZHI_ERR_GW_BACKPRESSURE: { retryable: true, message: 'bus not accepting writes' },
  // normalizer (dead-letter reasons)
  GANZHI_ERR_NORM_NOT_JSON: { retryable: false, message: 'payload is not valid JSON' },
  GANZHI_ERR_NORM_SCHEMA: { retryable: false, message: 'payload does not match the schema of its device kind' },
  GANZHI_ERR_NORM_NOT_FINITE: { retryable: false, message: 'a value is NaN or infinite' },
  GANZHI_ERR_NORM_OUT_OF_RANGE: { retryable: false, message: 'a value is outside its physical range' },
  GANZHI_ERR_NORM_UNKNOWN_DEVICE: { retryable: false, message: 'device is not in the registry' },
  GANZHI_ERR_NORM_BAD_FRAME: { retryable: false, message: 'protocol frame could not be decoded' },
  GANZHI_ERR_NORM_BAD_CRC: { retryable: false, message: 'protocol frame checksum does not verify' },
  GANZHI_ERR_NORM_UNSUPPORTED: { retryable: false, message: 'payload format or command is not supported' },
  // bus
  GANZHI_ERR_BUS_DECODE: { retryable: false, message: 'record does not match its topic schema' },
  GANZHI_ERR_BUS_CLOSED: { retryable: false, message: 'bus is closed' },
  GANZHI_ERR_BUS_UNAVAILABLE: { retryable: true, message: 'bus is not reachable' },
  GANZHI_ERR_BUS_REJECTED: { retryable: false, message: 'the brokers refused the records' },
  GANZHI_ERR_BUS_CORRUPT: { retryable: false, message: 'log segment is corrupt' },
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

/** Unknown errors are treated as transient: retrying is safe because every stage is idempotent. */
export function isRetryable(err: unknown): boolean {
  return isGanzhiError(err) ? ERRORS[err.code].retryable : true;
}
