import type { Logger } from '@multiclaw-lab/kit';
import { assertLabAddress, assertPort } from '../addresses.ts';
import { type SocketBridge, socketBridge } from '../bridge.ts';
import { type HostRunner, toolEnv } from '../runner.ts';
import { ServiceProcess, startService } from '../service.ts';
import { ToxiproxyClient } from './client.ts';
import { ensureToxiproxy } from './install.ts';

export interface StartToxiproxyOptions {
  /** where the API listens; 127.0.0.1 inside a router keeps it off the simulated network */
  apiHost?: string;
  apiPort?: number;
  /** default: ensureToxiproxy() */
  binary?: string;
  logger?: Logger;
  readyTimeoutMs?: number;
  /**
   * Also start a socket bridge at this path (in the same host) and talk to the API through
   * it: the way the harness reaches a toxiproxy inside a router namespace.
   */
  socketPath?: string;
}

export class ToxiproxyHandle extends ServiceProcess {
  readonly apiUrl: string;
  /** through the socket bridge when one was asked for, else over TCP (caller in the same namespace) */
  readonly client: ToxiproxyClient;
  readonly bridge: SocketBridge | undefined;
  constructor(process: ServiceProcess['process'], apiUrl: string, bridge?: SocketBridge) {
    super(process);
    this.apiUrl = apiUrl;
    this.bridge = bridge;
    this.client = new ToxiproxyClient(bridge ? { socketPath: bridge.socketPath } : apiUrl);
  }
  override async stop(graceMs?: number): Promise<void> {
    await this.client.close();
    await this.bridge?.stop();
    await super.stop(graceMs);
  }
}

/**
 * Runs `toxiproxy-server -host H -port P`. Ready when it has logged that its HTTP server starts
 * (a JSON line) and the API answers `/version` (it logs that line just before it binds).
 */
export async function startToxiproxy(runner: HostRunner, options: StartToxiproxyOptions = {}): Promise<ToxiproxyHandle> {
  const apiHost = options.apiHost ?? '127.0.0.1';
  const apiPort = options.apiPort ?? 8474;
  assertLabAddress('toxiproxy apiHost', apiHost);
  assertPort('toxiproxy apiPort', apiPort);
  const proc = await startService({
    runner,
    name: 'toxiproxy',
    command: options.binary ?? ensureToxiproxy(),
    args: ['-host', apiHost, '-port', String(apiPort)],
    // unset, it logs at debug: two more lines for every proxied connection, which in a reconnect
    // storm are hundreds of thousands of lines for the harness to read (info keeps one per
    // connection accepted, and every warning)
    env: toolEnv({ LOG_LEVEL: 'info' }),
    isReady: (line) => line.json?.message === 'Starting Toxiproxy HTTP server',
    ...(options.readyTimeoutMs ? { readyTimeoutMs: options.readyTimeoutMs } : {}),
  });
  let bridge: SocketBridge | undefined;
  try {
    if (options.socketPath) bridge = await socketBridge(runner, options.socketPath, apiHost, apiPort);
    const handle = new ToxiproxyHandle(proc, `http://${apiHost}:${apiPort}`, bridge);
    await waitForApi(handle.client);
    options.logger?.info(
      { event: 'toxiproxy.ready', pid: proc.pid, api: `${apiHost}:${apiPort}`, socketPath: options.socketPath },
      'toxiproxy ready',
    );
    return handle;
  } catch (err) {
    await bridge?.stop();
    await proc.stop(1_000);
    throw err;
  }
}

/** Waits until the API answers (it binds right after its "starting" line). */
export async function waitForApi(client: ToxiproxyClient, attempts = 50): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      await client.version();
      return;
    } catch (err) {
      if (i >= attempts) throw err;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}
