/**
 * Out-of-band access for the harness: run inside a host, it listens on a unix socket in the
 * state folder (reachable from the harness, because it is a file) and forwards each connection
 * to a TCP address that only that host can reach. Nothing on the simulated network can use it,
 * and the socket is 0600 and belongs to the owner of the folder it is in (the harness's user,
 * also when the bridge runs as root in a container for a harness that is not root), so no other
 * local user can use it either. A few lines of Node instead of socat: nothing extra to install.
 *
 *   node bridge-main.ts <socket path> <host> <port>
 */
import { chmodSync, chownSync, rmSync, statSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { dirname } from 'node:path';

const [socketPath, host, portText] = process.argv.slice(2);
const port = Number(portText);
if (!socketPath || !host || !Number.isInteger(port)) {
  process.stderr.write('usage: bridge-main.ts <socket path> <host> <port>\n');
  process.exit(2);
}
rmSync(socketPath, { force: true });
// Half-open on both sides: a client that has sent all it will send still gets the whole answer
// (each end is passed on by pipe); a failing side takes the other down with it.
const server = createServer({ allowHalfOpen: true }, (client) => {
  const upstream = connect({ port, host, allowHalfOpen: true });
  client.pipe(upstream);
  upstream.pipe(client);
  client.on('error', () => upstream.destroy());
  upstream.on('error', () => client.destroy());
});
server.listen(socketPath, () => {
  chmodSync(socketPath, 0o600);
  if (process.getuid?.() === 0) {
    const folder = statSync(dirname(socketPath));
    chownSync(socketPath, folder.uid, folder.gid);
  }
  process.stdout.write(`${JSON.stringify({ event: 'ready', socketPath, target: `${host}:${port}` })}\n`);
});
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    server.close();
    rmSync(socketPath, { force: true });
    process.exit(0);
  });
}
