// `npm run audit:verify`: asks a running Ganzhi to verify the hash chains of its alert history.
// Env: GANZHI_API_URL (default http://127.0.0.1:8080), GANZHI_API_USER, GANZHI_API_PASSWORD (an operator),
// optional first argument: a device id. Exit code 0 = intact, 1 = tampering found, 2 = could not check.
const base = process.env.GANZHI_API_URL ?? 'http://127.0.0.1:8080';
const user = process.env.GANZHI_API_USER;
const password = process.env.GANZHI_API_PASSWORD;
if (!user || !password) {
  process.stderr.write('set GANZHI_API_USER and GANZHI_API_PASSWORD (an operator of the registry)\n');
  process.exit(2);
}
const device = process.argv[2];
const url = `${base}/api/audit/verify${device ? `?deviceId=${encodeURIComponent(device)}` : ''}`;
try {
  const res = await fetch(url, { headers: { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` } });
  const body = (await res.json()) as { ok?: boolean; devices?: number; events?: number; problems?: unknown[]; error?: { message: string } };
  if (body.ok === undefined) {
    process.stderr.write(`audit: ${res.status} ${body.error?.message ?? ''}\n`);
    process.exit(2);
  }
  process.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
  process.stdout.write(body.ok ? `audit: intact — ${body.events} events of ${body.devices} devices verified\n` : `audit: TAMPERING FOUND in ${body.problems?.length} device chain(s)\n`);
  process.exit(body.ok ? 0 : 1);
} catch (err) {
  process.stderr.write(`audit: cannot reach ${url}: ${(err as Error).message}\n`);
  process.exit(2);
}
