import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { hashSecret } from './secrets';

/**
 * `npm run hash-secret`: prints the scrypt hash to put in a registry file. The secret is read
 * from standard input (`printf %s "$SECRET" | npm run -s hash-secret`) or, on a terminal, from a
 * prompt that does not echo it — never from the command line, where process lists would show it.
 */
async function readSecret(): Promise<string> {
  if (!process.stdin.isTTY) {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
  }
  let muted = false;
  const output = new Writable({
    write(chunk, _enc, cb) {
      if (!muted) process.stderr.write(chunk as Buffer);
      cb();
    },
  });
  const rl = createInterface({ input: process.stdin, output, terminal: true });
  return new Promise((resolve) => {
    rl.question('secret (not echoed): ', (answer) => {
      rl.close();
      process.stderr.write('\n');
      resolve(answer);
    });
    muted = true;
  });
}

async function main(argv: string[]): Promise<number> {
  if (argv.length > 0) {
    process.stderr.write('hash-secret: the secret is read from standard input or a prompt, not the command line\n  printf %s "$SECRET" | npm run -s hash-secret\n');
    return 2;
  }
  const secret = await readSecret();
  if (!secret) {
    process.stderr.write('hash-secret: empty secret\n');
    return 2;
  }
  process.stdout.write(`${await hashSecret(secret)}\n`);
  return 0;
}

main(process.argv.slice(2)).then((code) => (process.exitCode = code));
