import { hashSecret } from './secrets';

/** `npm run hash-secret -- <secret>`: prints the scrypt hash to put in a registry file. */
async function main(argv: string[]): Promise<number> {
  const secret = argv[0];
  if (!secret) {
    process.stderr.write('usage: npm run hash-secret -- <secret>\n');
    return 2;
  }
  process.stdout.write(`${await hashSecret(secret)}\n`);
  return 0;
}

main(process.argv.slice(2)).then((code) => (process.exitCode = code));
