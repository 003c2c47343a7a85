/**
 * mitmproxy as the site's DPI box: `mitmdump` re-signing TLS with its own CA, with our addon
 * (mitm/lab_events.py) printing one JSON line per event. Transparent mode is what the router
 * uses (nftables redirects port 443 to it); regular mode is an explicit proxy, used in tests.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger, LogLine } from '@multiclaw-lab/kit';
import { assertLabAddress, assertPort, InfraConfigError } from '../addresses.ts';
import { type HostRunner, toolEnv } from '../runner.ts';
import { ServiceProcess, startService } from '../service.ts';

export const MITM_ADDON = fileURLToPath(new URL('../../mitm/lab_events.py', import.meta.url));

export interface StartMitmproxyOptions {
  mode: 'transparent' | 'regular';
  listenHost: string;
  listenPort: number;
  /** mitmproxy's own folder: its CA (made on first start) and settings live here */
  confDir: string;
  /** names (or addresses) passed through untouched, e.g. the MultiClaw names */
  ignoreHosts?: string[];
  /** CA bundle mitmproxy trusts for upstream servers (the lab CA); without it, its own default bundle */
  upstreamCaFile?: string;
  logger?: Logger;
  readyTimeoutMs?: number;
}

export type MitmEvent = Record<string, unknown> & { event: string };

export class MitmproxyHandle extends ServiceProcess {
  /** mitmproxy's CA certificate (PEM): what the harness copies into a host's trust store */
  readonly caCertFile: string;
  readonly listen: { host: string; port: number };
  constructor(process: ServiceProcess['process'], caCertFile: string, listen: { host: string; port: number }) {
    super(process);
    this.caCertFile = caCertFile;
    this.listen = listen;
  }

  /** the addon's events so far */
  events(): MitmEvent[] {
    return this.process.jsonLines().filter((j): j is MitmEvent => typeof j.event === 'string' && j.event.startsWith('mitm.'));
  }

  /** Resolves with the first event (seen or future) whose fields include all of `fields`. */
  async waitForEvent(fields: Record<string, unknown>, timeoutMs?: number): Promise<MitmEvent> {
    const line: LogLine = await this.process.waitForLog(fields, timeoutMs);
    return line.json as MitmEvent;
  }
}

/** A regex that matches exactly one name or address (mitmproxy matches ignore_hosts with re.search). */
export function exactHostPattern(name: string): string {
  if (!/^[A-Za-z0-9.-]+$/.test(name))
    throw new InfraConfigError(`ignoreHosts entry "${name}" must be a host name or an IPv4 address`);
  return `^${name.replaceAll('.', '\\.')}$`;
}

export async function startMitmproxy(runner: HostRunner, options: StartMitmproxyOptions): Promise<MitmproxyHandle> {
  assertLabAddress('mitmproxy listenHost', options.listenHost);
  assertPort('mitmproxy listenPort', options.listenPort);
  await mkdir(options.confDir, { recursive: true, mode: 0o700 });
  const args = [
    '--mode',
    options.mode,
    '--listen-host',
    options.listenHost,
    '--listen-port',
    String(options.listenPort),
    '--set',
    `confdir=${options.confDir}`,
    '--set',
    'flow_detail=0', // no flow dumps: the addon's events are the output
    '--set',
    'termlog_verbosity=info', // keeps the "listening at" line that says it is ready
    '-s',
    MITM_ADDON,
  ];
  for (const name of options.ignoreHosts ?? []) args.push('--ignore-hosts', exactHostPattern(name));
  if (options.upstreamCaFile) args.push('--set', `ssl_verify_upstream_trusted_ca=${options.upstreamCaFile}`);
  const proc = await startService({
    runner,
    name: 'mitmproxy',
    command: 'mitmdump',
    args,
    // HOME too: nothing of mitmproxy's lands in the real ~/.mitmproxy; and no bytecode, which
    // Python would otherwise write beside the addon, inside the repository
    env: toolEnv({ HOME: options.confDir, PYTHONUNBUFFERED: '1', PYTHONDONTWRITEBYTECODE: '1' }),
    isReady: (line) => /server listening at/i.test(line.text),
    ...(options.readyTimeoutMs ? { readyTimeoutMs: options.readyTimeoutMs } : {}),
  });
  const handle = new MitmproxyHandle(proc, join(options.confDir, 'mitmproxy-ca-cert.pem'), {
    host: options.listenHost,
    port: options.listenPort,
  });
  options.logger?.info(
    {
      event: 'mitmproxy.ready',
      pid: proc.pid,
      mode: options.mode,
      listen: `${options.listenHost}:${options.listenPort}`,
      ignoreHosts: options.ignoreHosts ?? [],
    },
    'mitmproxy ready',
  );
  return handle;
}
