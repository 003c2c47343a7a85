import { rm } from 'node:fs/promises';
import type { HostRunner } from './runner.ts';
import { ServiceProcess, startService } from './service.ts';

/**
 * A unix socket in the state folder that forwards to a TCP port inside a host's namespace.
 * The socket file is reachable from every namespace, so the harness can talk to a service that
 * listens on the host's loopback without giving the host an interface towards the harness.
 * A few lines of Node instead of socat: nothing extra to install.
 */
const BRIDGE_SCRIPT = `
const net = require('node:net');
const fs = require('node:fs');
const [socketPath, host, port] = process.argv.slice(1);
try { fs.unlinkSync(socketPath); } catch {}
const server = net.createServer((client) => {
  const upstream = net.connect(Number(port), host);
  client.pipe(upstream).on('error', () => client.destroy());
  upstream.pipe(client).on('error', () => upstream.destroy());
  client.on('error', () => upstream.destroy());
  upstream.on('error', () => client.destroy());
  client.on('close', () => upstream.destroy());
  upstream.on('close', () => client.destroy());
});
server.listen(socketPath, () => {
  fs.chmodSync(socketPath, 0o600);
  console.log(JSON.stringify({ event: 'ready', socketPath, target: host + ':' + port }));
});
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
`;

export class SocketBridge extends ServiceProcess {
  readonly socketPath: string;
  constructor(process: ServiceProcess['process'], socketPath: string) {
    super(process);
    this.socketPath = socketPath;
  }
  override async stop(graceMs?: number): Promise<void> {
    await super.stop(graceMs);
    await rm(this.socketPath, { force: true });
  }
}

export async function socketBridge(
  runner: HostRunner,
  socketPath: string,
  tcpHost: string,
  tcpPort: number,
): Promise<SocketBridge> {
  const proc = await startService({
    runner,
    name: `bridge-${tcpHost}:${tcpPort}`,
    command: process.execPath,
    args: ['--input-type=commonjs', '-e', BRIDGE_SCRIPT, socketPath, tcpHost, String(tcpPort)],
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    isReady: (line) => line.json?.event === 'ready',
  });
  return new SocketBridge(proc, socketPath);
}
