import type { IncomingMessage, ServerResponse } from 'node:http';
import { isGanzhiError } from '@ganzhi/schemas';
import type { Principal, Registry } from '@ganzhi/registry';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export function sendError(res: ServerResponse, err: unknown): void {
  if (err instanceof HttpError) return sendJson(res, err.status, { error: { code: err.code, message: err.message } });
  if (err instanceof URIError) return sendJson(res, 400, { error: { code: 'GANZHI_ERR_API_BAD_REQUEST', message: 'malformed percent-encoding in the URL' } });
  if (isGanzhiError(err)) {
    const status = err.code === 'GANZHI_ERR_ALERT_NOT_FOUND' ? 404 : err.code === 'GANZHI_ERR_ALERT_TRANSITION' ? 409 : err.retryable ? 503 : 400;
    return sendJson(res, status, { error: { code: err.code, message: err.message } });
  }
  sendJson(res, 500, { error: { code: 'GANZHI_ERR_API_INTERNAL', message: 'internal error' } });
}

/** HTTP Basic credentials checked against the registry: only operators may use the API. */
export async function authenticateOperator(req: IncomingMessage, registry: Registry): Promise<Extract<Principal, { type: 'operator' }>> {
  const header = req.headers.authorization ?? '';
  const match = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header);
  if (match) {
    const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
    const i = decoded.indexOf(':');
    if (i > 0) {
      const principal = await registry.authenticate(decoded.slice(0, i), decoded.slice(i + 1));
      if (principal?.type === 'operator') return principal;
    }
  }
  throw new HttpError(401, 'GANZHI_ERR_GW_AUTH', 'operator credentials required (HTTP Basic)');
}

export async function readJsonBody(req: IncomingMessage, limit = 64 * 1024): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new HttpError(413, 'GANZHI_ERR_GW_PAYLOAD_TOO_LARGE', `body exceeds ${limit} bytes`);
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
  } catch {
    throw new HttpError(400, 'GANZHI_ERR_GW_BAD_COMMAND', 'body is not valid JSON');
  }
}

export function numberParam(url: URL, name: string, required: true): number;
export function numberParam(url: URL, name: string, required?: false): number | undefined;
export function numberParam(url: URL, name: string, required = false): number | undefined {
  const raw = url.searchParams.get(name);
  if (raw === null || raw === '') {
    if (required) throw new HttpError(400, 'GANZHI_ERR_CFG_INVALID', `query parameter "${name}" is required`);
    return undefined;
  }
  const n = Number(raw);
  if (!Number.isFinite(n)) throw new HttpError(400, 'GANZHI_ERR_CFG_INVALID', `query parameter "${name}" must be a number`);
  return n;
}

