// `npm run audit:verify -- [deviceId] [--checkpoint <file>]`: asks a running Ganzhi to verify its
// alert history — every stored column against the signed change, the keyed hash chains, and the
// store against the signed chain heads (and against an exported checkpoint when one is given:
// a JSON document from GET /api/audit/checkpoint, or a checkpoints.ndjson file, whose last line counts).
// The API's address comes from the same configuration as the server (GANZHI_HTTP_PORT, and
// GANZHI_HTTP_HOST or GANZHI_MQTT_HOST), unless GANZHI_API_URL is set. Credentials: GANZHI_API_USER,
// GANZHI_API_PASSWORD (a supervisor or admin of the registry).
// Exit code 0 = intact, 1 = tampering found (the first bad event is named), 2 = could not check.
import { readFile } from 'node:fs/promises';
import { loadPipelineConfig } from '@ganzhi/all';

function apiBase(): string {
  if (process.env.GANZHI_API_URL) return process.env.GANZHI_API_URL.replace(/\/$/, '');
  const config = loadPipelineConfig(process.env);
  const host = process.env.GANZHI_HTTP_HOST ?? config.GANZHI_MQTT_HOST;
  const reach = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return `http://${reach.includes(':') ? `[${reach}]` : reach}:${config.GANZHI_HTTP_PORT}`;
}

async function readCheckpoint(path: string): Promise<unknown> {
  const text = (await readFile(path, 'utf8')).trim();
  const lines = text.split('\n');
  return JSON.parse(lines.length > 1 ? (lines[lines.length - 1] as string) : text);
}

async function main(argv: string[]): Promise<number> {
  const user = process.env.GANZHI_API_USER;
  const password = process.env.GANZHI_API_PASSWORD;
  if (!user || !password) {
    process.stderr.write('audit: set GANZHI_API_USER and GANZHI_API_PASSWORD (a supervisor or admin of the registry)\n');
    return 2;
  }
  const at = argv.indexOf('--checkpoint');
  const checkpointFile = at >= 0 ? argv[at + 1] : undefined;
  if (at >= 0 && !checkpointFile) {
    process.stderr.write('audit: --checkpoint needs a file\n');
    return 2;
  }
  const device = argv.filter((_, i) => i !== at && i !== at + 1)[0];
  let url: string;
  try {
    url = `${apiBase()}/api/audit/verify${device ? `?deviceId=${encodeURIComponent(device)}` : ''}`;
  } catch (err) {
    process.stderr.write(`audit: ${(err as Error).message}\n`);
    return 2;
  }
  const headers: Record<string, string> = { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` };
  let init: RequestInit = { headers };
  if (checkpointFile) {
    let checkpoint: unknown;
    try {
      checkpoint = await readCheckpoint(checkpointFile);
    } catch (err) {
      process.stderr.write(`audit: cannot read checkpoint ${checkpointFile}: ${(err as Error).message}\n`);
      return 2;
    }
    init = { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify({ checkpoint }) };
  }
  try {
    const res = await fetch(url, init);
    const body = (await res.json()) as {
      ok?: boolean;
      devices?: number;
      events?: number;
      checkpointed?: number;
      problems?: unknown[];
      first?: { deviceId: string; alertId?: string; seq?: number; deviceSeq?: number; problem: string; detail: string };
      error?: { message: string };
    };
    if (body.ok === undefined) {
      process.stderr.write(`audit: ${res.status} ${body.error?.message ?? ''}\n`);
      return 2;
    }
    process.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
    if (body.ok) {
      process.stdout.write(`audit: intact — ${body.events} events of ${body.devices} devices verified, ${body.checkpointed} against signed heads\n`);
      return 0;
    }
    const f = body.first;
    const where = f ? `device ${f.deviceId}${f.alertId ? `, alert ${f.alertId} seq ${f.seq}` : ''}${f.deviceSeq !== undefined ? `, deviceSeq ${f.deviceSeq}` : ''}` : '';
    process.stdout.write(`audit: TAMPERING FOUND in ${body.problems?.length} device chain(s); first bad event: ${where}: ${f?.problem} — ${f?.detail}\n`);
    return 1;
  } catch (err) {
    process.stderr.write(`audit: cannot reach ${url}: ${(err as Error).message}\n`);
    return 2;
  }
}

main(process.argv.slice(2)).then((code) => (process.exitCode = code));
