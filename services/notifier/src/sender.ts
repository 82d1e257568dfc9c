import nodemailer from 'nodemailer';
import { httpRequest, judgeResponse, type Notification, type Rendered, type ResolvedReceiver, type Verdict } from '@ganzhi/notify';

export interface Sender {
  /** One attempt; `signal` aborts it (the notifier is closing). */
  send(receiver: ResolvedReceiver, n: Notification, rendered: Rendered, now: number, signal?: AbortSignal): Promise<Verdict>;
  close(): Promise<void>;
}

/** The cause of a network failure without the URL (which may carry a robot's key). */
function networkError(err: unknown): string {
  const e = err as { name?: string; cause?: { code?: string } };
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return 'timed out';
  return e.cause?.code ?? e.name ?? 'network error';
}

/** Delivers over HTTP (fetch) and SMTP (nodemailer). One attempt per call; the caller retries. */
export function createSender(options: { timeoutMs: number; smtpUrl?: string | undefined; from: string }): Sender {
  const mail = options.smtpUrl ? nodemailer.createTransport(options.smtpUrl) : undefined;
  return {
    async send(receiver, n, rendered, now, signal) {
      if (receiver.type === 'email') {
        if (!mail) return { ok: false, retry: false, error: 'no SMTP server configured' };
        try {
          await mail.sendMail({
            from: options.from,
            to: receiver.to,
            subject: rendered.title,
            text: rendered.body,
            ...(rendered.html ? { html: rendered.html } : {}),
            messageId: `<${n.id}@ganzhi.notify>`,
            headers: { 'X-Ganzhi-Notification-Id': n.id },
          });
          return { ok: true };
        } catch (err) {
          const e = err as { responseCode?: number; code?: string };
          // 5xx is a permanent SMTP refusal; 4xx and connection problems are worth another try.
          const permanent = typeof e.responseCode === 'number' && e.responseCode >= 500;
          return { ok: false, retry: !permanent, error: e.responseCode ? `SMTP ${e.responseCode}` : (e.code ?? 'SMTP error') };
        }
      }
      const req = httpRequest(receiver, n, rendered, now);
      try {
        const res = await fetch(req.url, { method: 'POST', headers: req.headers, body: req.body, signal: signal ? AbortSignal.any([signal, AbortSignal.timeout(options.timeoutMs)]) : AbortSignal.timeout(options.timeoutMs) });
        return judgeResponse(receiver.type, res.status, await res.text());
      } catch (err) {
        return { ok: false, retry: true, error: networkError(err) };
      }
    },
    async close() {
      mail?.close();
    },
  };
}
