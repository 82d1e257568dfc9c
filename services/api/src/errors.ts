import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import { isGanzhiError } from '@ganzhi/schemas';
import type { Logger } from '@ganzhi/log';

/** An HTTP answer with a GANZHI_ERR_* code, thrown by a route. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fields?: string[],
  ) {
    super(message);
  }
}

/**
 * Maps everything a route or fastify may throw onto `{ error: { code, message, fields? } }`:
 * schema failures are 400s naming each bad field (`querystring kind: Invalid option: ...`).
 */
export function errorHandler(log: Logger) {
  return (err: FastifyError | Error, req: FastifyRequest, reply: FastifyReply) => {
    if (hasZodFastifySchemaValidationErrors(err)) {
      const where = (err as FastifyError).validationContext ?? 'request';
      const fields = err.validation.map((v) => v.instancePath.replace(/^\//, '').replaceAll('/', '.') || '(root)');
      const message = err.validation.map((v, i) => `${where} ${fields[i]}: ${v.message}`).join('; ');
      return reply.code(400).send({ error: { code: 'GANZHI_ERR_API_BAD_REQUEST', message, fields } });
    }
    if (err instanceof HttpError) {
      return reply.code(err.status).send({ error: { code: err.code, message: err.message, ...(err.fields ? { fields: err.fields } : {}) } });
    }
    if (isGanzhiError(err)) {
      const status = err.code === 'GANZHI_ERR_ALERT_NOT_FOUND' ? 404 : err.code === 'GANZHI_ERR_ALERT_TRANSITION' ? 409 : err.retryable ? 503 : 400;
      return reply.code(status).send({ error: { code: err.code, message: err.message } });
    }
    if (isResponseSerializationError(err)) {
      log.error({ err, issues: err.cause.issues, url: req.url }, 'api response does not match its schema');
      return reply.code(500).send({ error: { code: 'GANZHI_ERR_API_INTERNAL', message: 'internal error' } });
    }
    const status = (err as FastifyError).statusCode;
    if (status && status >= 400 && status < 500) {
      return reply.code(status).send({ error: { code: 'GANZHI_ERR_API_BAD_REQUEST', message: err.message } });
    }
    log.error({ err, url: req.url }, 'api request failed');
    return reply.code(500).send({ error: { code: 'GANZHI_ERR_API_INTERNAL', message: 'internal error' } });
  };
}
