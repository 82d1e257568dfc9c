import { createHmac } from 'node:crypto';
import { GRADE } from '@ganzhi/schemas';
import { COLORS } from './labels';
import type { Notification } from './planner';
import type { Rendered } from './templates';

/** A receiver with its secrets read (by the runner) from env or files. */
export type ResolvedReceiver =
  | { type: 'webhook'; id: string; url: string; secret?: string }
  | { type: 'wecom'; id: string; url: string }
  | { type: 'dingtalk'; id: string; url: string; secret?: string; atMobiles?: string[] }
  | { type: 'feishu'; id: string; url: string; secret?: string }
  | { type: 'email'; id: string; to: string[] };

export interface HttpRequestSpec {
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** The generic webhook's headers. The signature covers `<timestamp>.<body>` so a replayed body with a new timestamp fails. */
export const WEBHOOK_HEADERS = {
  signature: 'x-ganzhi-signature',
  timestamp: 'x-ganzhi-timestamp',
  idempotencyKey: 'idempotency-key',
} as const;

/** `sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`. */
export function webhookSignature(secret: string, timestamp: string, body: string): string {
  return 'sha256=' + createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}

/** DingTalk robot signing: base64(HMAC-SHA256(key = secret, "<timestamp ms>\n<secret>")), sent URL-encoded as `sign`. */
export function dingtalkSign(secret: string, timestampMs: number): string {
  return createHmac('sha256', secret).update(`${timestampMs}\n${secret}`).digest('base64');
}

/** Feishu robot signing: base64(HMAC-SHA256(key = "<timestamp s>\n<secret>", empty message)), sent in the body. */
export function feishuSign(secret: string, timestampSec: number): string {
  return createHmac('sha256', `${timestampSec}\n${secret}`).update('').digest('base64');
}

const WECOM_MAX_BYTES = 4096;
/** Cuts text to a byte budget at a character boundary. */
function truncateBytes(text: string, max: number): string {
  if (Buffer.byteLength(text) <= max) return text;
  let out = '';
  for (const ch of text) {
    if (Buffer.byteLength(out + ch + '…') > max) break;
    out += ch;
  }
  return out + '…';
}

/**
 * The documented body of the generic webhook (README "Receivers"): schema `ganzhi.notification.v1`.
 */
export function webhookBody(n: Notification, r: Rendered, receiverId: string) {
  return {
    schema: 'ganzhi.notification.v1',
    id: n.id,
    receiver: receiverId,
    route: n.routeId,
    createdAt: n.createdAt,
    language: n.language,
    level: r.level,
    grade: GRADE[r.level],
    title: r.title,
    text: r.body,
    ...(r.link ? { link: r.link } : {}),
    alerts: n.items.map((i) => ({ ...i, grade: GRADE[i.level] })),
  };
}

/** The HTTP request for a chat robot or webhook receiver, in the format that service documents. */
export function httpRequest(receiver: Exclude<ResolvedReceiver, { type: 'email' }>, n: Notification, r: Rendered, now: number): HttpRequestSpec {
  const json = { 'content-type': 'application/json; charset=utf-8' };
  switch (receiver.type) {
    case 'webhook': {
      const body = JSON.stringify(webhookBody(n, r, receiver.id));
      const ts = String(Math.floor(now / 1000));
      return {
        url: receiver.url,
        headers: {
          ...json,
          [WEBHOOK_HEADERS.idempotencyKey]: n.id,
          [WEBHOOK_HEADERS.timestamp]: ts,
          ...(receiver.secret ? { [WEBHOOK_HEADERS.signature]: webhookSignature(receiver.secret, ts, body) } : {}),
        },
        body,
      };
    }
    case 'wecom':
      // Group robot: msgtype markdown, content at most 4096 bytes (UTF-8).
      return { url: receiver.url, headers: json, body: JSON.stringify({ msgtype: 'markdown', markdown: { content: truncateBytes(r.body, WECOM_MAX_BYTES) } }) };
    case 'dingtalk': {
      // Custom robot: msgtype markdown {title, text}; @-mentions need the mobile in the text too.
      const at = receiver.atMobiles ?? [];
      const text = at.length ? `${r.body}\n\n${at.map((m) => `@${m}`).join(' ')}` : r.body;
      let url = receiver.url;
      if (receiver.secret) {
        const sep = url.includes('?') ? '&' : '?';
        url += `${sep}timestamp=${now}&sign=${encodeURIComponent(dingtalkSign(receiver.secret, now))}`;
      }
      return { url, headers: json, body: JSON.stringify({ msgtype: 'markdown', markdown: { title: r.title, text }, at: { atMobiles: at, isAtAll: false } }) };
    }
    case 'feishu': {
      // Custom bot: an interactive message card, header coloured by grade, lark_md body, a button to the console.
      const ts = Math.floor(now / 1000);
      const card = {
        config: { wide_screen_mode: true },
        header: { template: COLORS[r.level].feishu, title: { tag: 'plain_text', content: r.title } },
        elements: [
          { tag: 'div', text: { tag: 'lark_md', content: r.body } },
          ...(r.link
            ? [{ tag: 'action', actions: [{ tag: 'button', type: 'primary', url: r.link, text: { tag: 'plain_text', content: n.language === 'en' ? 'Open the alert' : '查看告警' } }] }]
            : []),
        ],
      };
      return {
        url: receiver.url,
        headers: json,
        body: JSON.stringify({ ...(receiver.secret ? { timestamp: String(ts), sign: feishuSign(receiver.secret, ts) } : {}), msg_type: 'interactive', card }),
      };
    }
    default: {
      const never: never = receiver;
      throw new Error(`unknown receiver ${JSON.stringify(never)}`);
    }
  }
}

export type Verdict = { ok: true } | { ok: false; retry: boolean; error: string };

/**
 * Whether a receiver accepted a notification. Chat robots answer HTTP 200 with an error code in
 * the body (WeCom/DingTalk `errcode`, Feishu `code`): non-zero is a failure, retried (it is most
 * often a rate limit). HTTP 4xx other than 408/429 is a refusal for good; 5xx and the rest are retried.
 */
export function judgeResponse(type: ResolvedReceiver['type'], status: number, text: string): Verdict {
  if (status === 408 || status === 429 || status >= 500) return { ok: false, retry: true, error: `HTTP ${status}` };
  if (status >= 400) return { ok: false, retry: false, error: `HTTP ${status}` };
  if (status < 200 || status >= 300) return { ok: false, retry: true, error: `HTTP ${status}` };
  if (type === 'webhook' || type === 'email') return { ok: true };
  let doc: { errcode?: unknown; code?: unknown; StatusCode?: unknown; errmsg?: unknown; msg?: unknown } = {};
  try {
    doc = JSON.parse(text) as typeof doc;
  } catch {
    return { ok: false, retry: true, error: 'answer is not JSON' };
  }
  const code = type === 'feishu' ? (doc.code ?? doc.StatusCode) : doc.errcode;
  if (code === 0) return { ok: true };
  return { ok: false, retry: true, error: `code ${String(code)}: ${String(doc.errmsg ?? doc.msg ?? '')}`.slice(0, 200) };
}
