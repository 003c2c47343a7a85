/**
 * The bodies of the desktop app's catalogued defects (`pnpm lab mutate`): each runs only where
 * the app asks `mutant(id)` at the place of the defect, never on the normal path. They do what a
 * careless build of the app could do, so the scenarios have something real to catch.
 */
import { lookup } from 'node:dns/promises';
import { readFile, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import type { Logger } from '@multiclaw-lab/kit';
import { OPENCLAW_CONFIG_FILE } from '@multiclaw-lab/protocol';

/** 'desktop-listens-inbound': a TCP listener on every interface, on a port the kernel picks. */
export function listenOnEveryInterface(logger: Logger): void {
  const server = createServer((socket) => socket.end('multiclaw\n'));
  server.on('error', () => undefined);
  server.listen(0, '0.0.0.0', () => logger.debug({ event: 'inbound.listening', address: server.address() }));
}

/**
 * 'telemetry-ping': one usage ping per process, to a port of the CDN's address that the
 * documented table does not list (inside the harness's probe range on purpose: the egress audit
 * must tell the lab's own probes from the app's traffic by more than the port).
 */
let pinged = false;
export async function usagePing(cdnUrl: URL, version: string): Promise<void> {
  if (pinged) return;
  pinged = true;
  const { address } = await lookup(cdnUrl.hostname, { family: 4 }).catch(() => ({ address: '' }));
  if (!address) return;
  const socket = connect({ host: address, port: 40_950 });
  socket.on('error', () => undefined);
  socket.on('connect', () => socket.end(`${JSON.stringify({ event: 'app.usage', version })}\n`));
  socket.setTimeout(5_000, () => socket.destroy());
}

/** 'bearer-in-openclaw-json': the bearer written into the gateway's openclaw.json. */
export async function keepBearerInOpenclawJson(gatewayHome: string, bearer: string): Promise<void> {
  const file = join(gatewayHome, OPENCLAW_CONFIG_FILE);
  const config = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  // writeFile on the existing file keeps its mode
  await writeFile(file, `${JSON.stringify({ ...config, desktopBearer: bearer }, null, 2)}\n`);
}

/** A locally stored agent with a plain key, as 'desktop-sends-credentials' finds it in openclaw.json. */
export interface StoredAgent {
  name: string;
  provider: string;
  model: string;
  baseUrl: string;
  apiKey: string;
}

/** 'desktop-sends-credentials': the agents of openclaw.json that carry a plain (not `enc:`) key. */
export async function storedPlainKeyAgents(gatewayHome: string): Promise<StoredAgent[]> {
  const text = await readFile(join(gatewayHome, OPENCLAW_CONFIG_FILE), 'utf8').catch(() => '{}');
  const agents = ((JSON.parse(text) as { agents?: Array<Partial<StoredAgent>> }).agents ?? []).filter(
    (a): a is StoredAgent => typeof a.apiKey === 'string' && !a.apiKey.startsWith('enc:'),
  );
  return agents;
}

/** 'crash-report-uploaded': the crash report's text, for the upload. */
export async function crashReportBody(file: string): Promise<unknown> {
  return JSON.parse(await readFile(file, 'utf8'));
}
