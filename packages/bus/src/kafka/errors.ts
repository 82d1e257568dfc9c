import { GanzhiError } from '@ganzhi/schemas';

/** kafkajs errors that mean "the brokers cannot be reached right now", whatever their `retriable` flag. */
const TRANSIENT_NAMES = new Set([
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSRequestTimeoutError',
  'KafkaJSBrokerNotFound',
  'KafkaJSNoBrokerAvailableError',
  'KafkaJSMetadataNotLoaded',
  'KafkaJSTopicMetadataNotLoaded',
  'KafkaJSGroupCoordinatorNotFound',
  'KafkaJSTimeout',
  'KafkaJSLockTimeout',
]);

interface KafkaJSLike {
  name?: unknown;
  retriable?: unknown;
  type?: unknown;
  cause?: unknown;
  originalError?: unknown;
}

/** The innermost error of a kafkajs wrapper chain (NumberOfRetriesExceeded wraps the last failure). */
export function rootCause(err: unknown): unknown {
  let e = err;
  for (let i = 0; i < 8; i++) {
    if (typeof e !== 'object' || e === null) return e;
    const inner = (e as KafkaJSLike).cause ?? (e as KafkaJSLike).originalError;
    if (inner === undefined || inner === e) return e;
    e = inner;
  }
  return e;
}

/**
 * Whether retrying the same request later may succeed. Unknown errors count as transient: a
 * retry is safe because delivery is at-least-once.
 */
export function isTransientKafkaError(err: unknown): boolean {
  const root = rootCause(err) as KafkaJSLike | null;
  if (typeof root !== 'object' || root === null) return true;
  const name = typeof root.name === 'string' ? root.name : '';
  if (TRANSIENT_NAMES.has(name)) return true;
  if (typeof root.retriable === 'boolean') return root.retriable;
  return !name.startsWith('KafkaJS');
}

/** The kafkajs protocol error type (e.g. 'MESSAGE_TOO_LARGE'), when there is one. */
export function kafkaErrorType(err: unknown): string | undefined {
  const root = rootCause(err) as KafkaJSLike | null;
  return typeof root === 'object' && root !== null && typeof root.type === 'string' ? root.type : undefined;
}

export function unavailable(detail: string, cause: unknown): GanzhiError {
  return new GanzhiError('GANZHI_ERR_BUS_UNAVAILABLE', `${detail}: ${describe(cause)}`, { cause });
}

/** SASL refused, or the TLS handshake failed (bad CA, bad certificate): retrying will not help. */
export function isAuthError(err: unknown): boolean {
  for (let e = err, i = 0; i < 8 && typeof e === 'object' && e !== null; i++) {
    const { name, code, type } = e as KafkaJSLike & { code?: unknown };
    if (name === 'KafkaJSSASLAuthenticationError' || type === 'SASL_AUTHENTICATION_FAILED' || type === 'UNSUPPORTED_SASL_MECHANISM') return true;
    if (typeof code === 'string' && /^(ERR_TLS_|ERR_SSL_|CERT_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE)/.test(code)) return true;
    const inner = (e as KafkaJSLike).cause ?? (e as KafkaJSLike).originalError;
    if (inner === e) break;
    e = inner;
  }
  return false;
}

export function authFailed(detail: string, cause: unknown): GanzhiError {
  return new GanzhiError('GANZHI_ERR_BUS_AUTH', `${detail}: ${describe(cause)}`, { cause });
}

export function rejected(detail: string, cause: unknown): GanzhiError {
  return new GanzhiError('GANZHI_ERR_BUS_REJECTED', `${detail}: ${describe(cause)}`, {
    cause,
    details: { kafkaError: kafkaErrorType(cause) },
  });
}

export function describe(err: unknown): string {
  const root = rootCause(err);
  return root instanceof Error ? `${root.name}: ${root.message}` : String(root);
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
