/**
 * The baseline: a bare Aedes broker (in-memory persistence, no auth hooks) on 127.0.0.1, set up
 * like the gateway's TCP listener (Nagle off). Prints `{"port":n}` once listening; SIGTERM stops it.
 *
 *   node --import tsx bench/lib/aedes-broker.ts [port, default 0 = any]
 */
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Aedes } from 'aedes';

async function main(): Promise<void> {
  const broker = await Aedes.createBroker({ id: 'bench-aedes' });
  const server = createServer((socket) => {
    socket.setNoDelay(true);
    broker.handle(socket);
  });
  server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => {
    process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
  });
  const stop = () => broker.close(() => server.close(() => process.exit(0)));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`aedes-broker: ${String(err)}\n`);
  process.exit(1);
});
