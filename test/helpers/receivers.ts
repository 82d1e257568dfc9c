import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { writeFile } from 'node:fs/promises';
import { hashSecret } from '@ganzhi/registry';

export interface PeerRequest {
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  text: string;
  body: any;
}

/**
 * An HTTP server of the test's own that plays WeCom, DingTalk, Feishu and webhook endpoints:
 * every request is recorded by path; `respond` decides each answer (default: the success answer
 * of the service the path names).
 */
export async function startPeer(respond?: (req: PeerRequest, nth: number) => { status: number; body: unknown } | Promise<{ status: number; body: unknown }> | undefined) {
  const requests: PeerRequest[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        body = undefined;
      }
      const r: PeerRequest = { path: url.pathname, query: url.searchParams, headers: req.headers, text, body };
      requests.push(r);
      const nth = requests.filter((x) => x.path === r.path).length;
      const answer = (await respond?.(r, nth)) ?? defaultAnswer(r.path);
      if (res.destroyed) return;
      res.writeHead(answer.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  return {
    url: (path: string) => `http://127.0.0.1:${port}${path}`,
    requests,
    on: (path: string) => requests.filter((r) => r.path === path),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function defaultAnswer(path: string): { status: number; body: unknown } {
  if (path.startsWith('/feishu')) return { status: 200, body: { code: 0, msg: 'success', data: {} } };
  if (path.startsWith('/wecom') || path.startsWith('/dingtalk')) return { status: 200, body: { errcode: 0, errmsg: 'ok' } };
  return { status: 204, body: {} };
}

/** A real SMTP server (smtp-server) on loopback; each received message parsed with mailparser. */
export async function startSmtp() {
  const mails: ParsedMail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, _session, callback) {
      simpleParser(stream).then(
        (m) => {
          mails.push(m);
          callback();
        },
        (err: Error) => callback(err),
      );
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.server.address() as AddressInfo).port;
  return { url: `smtp://127.0.0.1:${port}`, mails, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

const TEST_SCRYPT = { N: 1024, r: 8, p: 1 };

/** The demo registry's devices with operators and duty groups that have receivers. */
export async function writeNotifyRegistry(path: string, demo: { devices: unknown[]; models?: unknown[] }, extra: { operators: Record<string, unknown>[]; dutyGroups: Record<string, unknown>[] }) {
  const operators = await Promise.all(
    extra.operators.map(async (o) => ({ roles: ['operator'], ...o, secret: await hashSecret(`demo-${String(o.id)}`, TEST_SCRYPT) })),
  );
  await writeFile(path, JSON.stringify({ demo: true, models: demo.models ?? [], devices: demo.devices, operators, dutyGroups: extra.dutyGroups }, null, 2));
}
