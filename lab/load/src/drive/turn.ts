/**
 * The turn profile: relayed sessions through the lab's coturn, from the site hosts (so they
 * cross the sites' routers, and the TLS leg the sites' links), with coturn's own load client.
 * The credentials are the cloud's (GET /v1/turn/credentials with a bearer, as an app gets them),
 * and so are the relay's name and ports (the URLs it hands out). The peer is turnutils_peer on a
 * cloud desktop host: the relay policy lets the relay carry traffic to cloud desktops and sites,
 * never to the cloud's own hosts. Every worker runs both legs at once, UDP and TLS, with its share
 * of the sessions on each; coturn's CPU and memory are sampled in its host meanwhile.
 */
import { randomBytes } from 'node:crypto';
import type { Lab } from '@multiclaw-lab/core';
import { LabError, launch, type ProcessHandle } from '@multiclaw-lab/kit';
import { addressOf, PROBE_PORTS } from '@multiclaw-lab/network';
import { routes, signUpAndIn } from '@multiclaw-lab/protocol';
import { CloudSampler } from '../coordinator/cloud-sampler.ts';
import { TURN_LEGS, type TurnLeg } from '../worker/uclient.ts';
import { type RunContext, sum, until } from './context.ts';

/** each session sends one message every 20 ms (uclient's own pace, a media stream's) */
const INTERVAL_MS = 20;
/** a DataChannel chunk of a screen frame: under the path's MTU once wrapped for the relay */
const MESSAGE_BYTES = 1_000;
/** turnutils_peer listens on one of the harness's probe ports (no MultiClaw component uses them) */
const PEER_PORT = PROBE_PORTS.min + 80;
/**
 * What a leg takes besides sending: uclient sets its sessions up one after another (about 0.1 s
 * each measured here, with the other leg beside it), starts each session's stream within 1–6 s,
 * and waits up to 10 s for late echoes; the rest is room for a loaded machine.
 */
const SETUP_MS_PER_SESSION = 300;
const LEG_OVERHEAD_MS = 6_000 + 10_000 + 15_000;

/** what a worker says of each leg when both ended (worker/turn.ts) */
interface LegOutcome {
  leg: TurnLeg;
  refused?: string;
}

export class TurnLoadError extends LabError {
  constructor(message: string) {
    super('LAB_BAD_LOAD', message, { hint: 'each profile and its bounds: lab/load/README.md' });
  }
}

/** each leg's port on the relay, from the URLs the cloud hands out (`turn:…?transport=udp`, `turns:…`) */
export function legPorts(urls: string[]): { server: string; ports: Record<TurnLeg, number> } {
  const parsed = urls.flatMap((url) => {
    const m = /^(turns?):([^:?]+):(\d+)(?:\?transport=(udp|tcp))?$/.exec(url);
    return m ? [{ scheme: m[1]!, host: m[2]!, port: Number(m[3]), transport: m[4] ?? (m[1] === 'turns' ? 'tcp' : 'udp') }] : [];
  });
  const udp = parsed.find((u) => u.scheme === 'turn' && u.transport === 'udp');
  const tls = parsed.find((u) => u.scheme === 'turns');
  if (!udp || !tls) throw new TurnLoadError(`the cloud hands out no turn: UDP and turns: URL to load (${urls.join(', ')})`);
  return { server: udp.host, ports: { udp: udp.port, tls: tls.port } };
}

/** turnutils_peer in `host`, echoing what the relay sends it; answers once it listens. */
async function startPeer(lab: Lab, host: string, address: string): Promise<ProcessHandle> {
  const peer = await launch({
    name: `turn-peer-${host}`,
    spawn: () => lab.driver.spawn(host, 'turnutils_peer', ['-L', address, '-p', String(PEER_PORT)]),
    // it prints nothing when it is ready: its socket is
    ready: false,
  });
  const listening = async () =>
    (await lab.driver.exec(host, 'ss', ['-Hnlu', `sport = :${PEER_PORT}`])).stdout.includes(`${address}:${PEER_PORT}`);
  const giveUpAt = Date.now() + 10_000;
  while (!(await listening())) {
    if (!peer.running || Date.now() > giveUpAt) {
      await peer.stop(2_000);
      throw new Error(`turnutils_peer did not listen on ${address}:${PEER_PORT} in ${host}: ${peer.tail(5)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return peer;
}

export async function driveTurn(run: RunContext): Promise<void> {
  const { lab, workers } = run;
  const peerHost = lab.hostsByRole('cloud-desktop')[0]?.id;
  if (!peerHost) throw new TurnLoadError('turn needs a cloud desktop host for the relayed messages’ peer; this lab has none');
  const peerAddress = addressOf(lab.topology, peerHost);

  const { bearer } = await signUpAndIn(lab.api, {
    email: `turn-${randomBytes(3).toString('hex')}@multiclaw.test`,
    password: `pw-${randomBytes(12).toString('base64url')}`,
    name: 'turn load',
  });
  const credentials = await lab.api.request(routes.getTurnCredentials, { credential: bearer });
  const { server, ports } = legPorts(credentials.urls);
  // uclient checks the relay's certificate only with a certificate of its own: any will do, the relay asks for none
  const clientCert = await lab.ca.issue(['load-turn-client.multiclaw.test']);

  const peer = await startPeer(lab, peerHost, peerAddress);
  const coturn = new CloudSampler(lab, Date.now(), 'coturn');
  try {
    coturn.start();
    const durationMs = run.deadline - Date.now();
    const messages = Math.max(1, Math.round(durationMs / INTERVAL_MS));
    const limit = Date.now() + durationMs + Math.max(...workers.map((w) => w.clients)) * SETUP_MS_PER_SESSION + LEG_OVERHEAD_MS;
    for (const w of workers)
      w.startTurn(
        {
          server,
          ports,
          peer: { address: peerAddress, port: PEER_PORT },
          username: credentials.username,
          credential: credentials.credential,
          sessions: w.clients,
          messages,
          messageBytes: MESSAGE_BYTES,
          intervalMs: INTERVAL_MS,
          clientCert: { certPem: clientCert.chainPem, keyPem: clientCert.keyPem },
        },
        // the coordinator's limit comes first: it stops the workers, which end their legs and report
        limit - Date.now() + 30_000,
      );
    run.mark('relaying');
    run.progress(
      `turn: ${run.clients} sessions on each leg (UDP ${server}:${ports.udp}, TLS ${server}:${ports.tls}), ${messages} messages of ${MESSAGE_BYTES} bytes each, peer ${peerHost} ${peerAddress}:${PEER_PORT}`,
    );
    const done = await until(
      workers,
      (ws) => {
        run.report(
          `turn: ${sum(ws, 'opened')}/${run.clients * TURN_LEGS.length} sessions allocated, ${sum(ws, 'connected')} relaying`,
        );
        return ws.every((w) => w.triedAll);
      },
      limit,
    );
    run.mark('done');
    if (!done) run.progress('turn: the time limit ended a leg still running; what it did counts');
    // a leg the relay refused says why (uclient gives up at the first refused allocation)
    for (const w of workers) {
      const said = w.handle.lines.find((l) => l.json?.event === 'load.opened')?.json as { legs?: LegOutcome[] } | undefined;
      for (const leg of said?.legs ?? []) if (leg.refused) run.progress(`turn: ${w.host} ${leg.leg}: ${leg.refused}`);
    }
  } finally {
    coturn.stop();
    await peer.stop(5_000);
  }
  for (const s of coturn.samples) run.metrics.record('coturn_cpu_pct', s.cpuPercent);
  const last = coturn.samples.at(-1);
  if (last) run.metrics.set('coturn_rss_mib', last.rssMib);
}

/** After the workers' metrics are merged: each leg's loss and average round trip over every worker. */
export function concludeTurn(run: Pick<RunContext, 'metrics'>): void {
  const { counters } = run.metrics.summary();
  for (const leg of TURN_LEGS) {
    const sent = counters[`turn_messages_sent_${leg}`] ?? 0;
    const received = counters[`turn_messages_received_${leg}`] ?? 0;
    // nothing sent is no loss measured: the threshold on it then fails as unmeasured
    if (sent > 0) run.metrics.set(`turn_loss_pct_${leg}`, Math.round((Math.max(0, sent - received) / sent) * 10_000) / 100);
    const rttMessages = counters[`turn_rtt_messages_${leg}`] ?? 0;
    if (rttMessages > 0)
      run.metrics.set(
        `turn_rtt_avg_ms_${leg}`,
        Math.round(((counters[`turn_rtt_sum_ms_${leg}`] ?? 0) / rttMessages) * 1000) / 1000,
      );
  }
}
