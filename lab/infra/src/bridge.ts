import { rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { HostRunner } from './runner.ts';
import { ServiceProcess, startService } from './service.ts';

/**
 * A unix socket in the state folder that forwards to a TCP port inside a host (bridge-main.ts).
 * The socket file is reachable from every namespace, so the harness can talk to a service that
 * listens on the host's loopback without giving the host an interface towards the harness.
 */
const BRIDGE_MAIN = fileURLToPath(new URL('./bridge-main.ts', import.meta.url));

/** The command that runs a bridge (for the lab's service definitions and socketBridge alike). */
export function bridgeCommand(socketPath: string, tcpHost: string, tcpPort: number): { command: string; args: string[] } {
  return { command: process.execPath, args: ['--no-warnings', BRIDGE_MAIN, socketPath, tcpHost, String(tcpPort)] };
}

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
    ...bridgeCommand(socketPath, tcpHost, tcpPort),
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    isReady: (line) => line.json?.event === 'ready',
  });
  return new SocketBridge(proc, socketPath);
}
