import { rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';

/**
 * Out-of-band access for the harness: run inside a host's network namespace, it listens on a
 * unix socket in the state folder (reachable from the harness's namespace, because it is a
 * file) and forwards each connection to a TCP address that only that host can reach. Nothing
 * on the simulated network can use it.
 *
 *   node unix-bridge.ts <socket path> <host> <port>
 */
const [socketPath, host, portText] = process.argv.slice(2);
const port = Number(portText);
if (!socketPath || !host || !Number.isInteger(port)) {
  process.stderr.write('usage: unix-bridge.ts <socket path> <host> <port>\n');
  process.exit(2);
}
rmSync(socketPath, { force: true });
const server = createServer((client) => {
  const upstream = connect(port, host);
  client.on('error', () => upstream.destroy());
  upstream.on('error', () => client.destroy());
  client.pipe(upstream);
  upstream.pipe(client);
});
server.listen(socketPath, () => {
  process.stdout.write(`${JSON.stringify({ event: 'ready', socketPath, target: `${host}:${port}` })}\n`);
});
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    server.close();
    rmSync(socketPath, { force: true });
    process.exit(0);
  });
}
