// `npm run audit:key -- new|rotate [file]`: makes the audit keyring (GANZHI_AUDIT_KEY_FILE, or
// the file given) or rotates it: a new HMAC key becomes current, the older ones stay so that
// history keyed with them still verifies. The file is written 0600; keep it apart from the data
// directory (a secret mount, another volume) and back it up: without it the trail cannot be verified.
import { randomBytes } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { KeyringFileSchema, newKeyringFile, type KeyringFile } from '@ganzhi/runtime';

async function main(argv: string[]): Promise<number> {
  const [cmd, fileArg] = argv;
  const file = fileArg ?? process.env.GANZHI_AUDIT_KEY_FILE;
  if ((cmd !== 'new' && cmd !== 'rotate') || !file) {
    process.stderr.write('usage: npm run audit:key -- new|rotate [file]   (file defaults to GANZHI_AUDIT_KEY_FILE)\n');
    return 2;
  }
  let ring: KeyringFile;
  if (cmd === 'new') {
    const exists = await readFile(file).then(() => true, () => false);
    if (exists) {
      process.stderr.write(`audit:key: ${file} exists; use rotate\n`);
      return 2;
    }
    ring = newKeyringFile(`k${Date.now().toString(36)}`);
  } else {
    ring = KeyringFileSchema.parse(JSON.parse(await readFile(file, 'utf8')));
    const id = `k${Date.now().toString(36)}`;
    ring = { current: id, keys: { ...ring.keys, [id]: randomBytes(32).toString('base64') } };
  }
  const tmp = `${file}.tmp-${process.pid}`;
  await writeFile(tmp, `${JSON.stringify(ring, null, 2)}\n`, { mode: 0o600 });
  await rename(tmp, file);
  process.stdout.write(`audit:key: ${file}: current key ${ring.current} (${Object.keys(ring.keys).length} in the ring); restart the alert manager and API to use it\n`);
  return 0;
}

main(process.argv.slice(2)).then((code) => (process.exitCode = code));
