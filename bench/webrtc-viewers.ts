/**
 * `node bench/webrtc-viewers.ts [--viewers 1,4,8] [--modes direct,relay-udp,relay-tls] [--fps 60]
 *   [--frame-bytes 16384] [--seconds 6] [--time-limit 240]` (root; `pnpm bench:webrtc`)
 *
 * Cloud desktop viewing over WebRTC on loopback, per path — direct, relayed by coturn over
 * TURN/UDP, relayed over TURN/TLS on the TLS (443-equivalent) port — with 1, 4 and 8 concurrent
 * viewers of one cloud desktop through one coturn: connect time, frames per second and Mbit/s
 * received, frames the streamer skipped or that did not arrive, and CPU of coturn, the streamer
 * and the viewers. Writes reports/bench/webrtc.json and prints a Markdown table. Numbers, never
 * pass/fail on speed; exits non-zero only if the bench itself broke.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { LoopbackStack } from '@multiclaw-lab/core';
import type { DesktopApp } from '@multiclaw-lab/desktop-sim';
import { syntheticJpeg } from '@multiclaw-lab/gateway';
import { describeMachine } from './src/machine.ts';
import { type CellResult, runCell, warmUp } from './src/webrtc/cell.ts';
import { provision } from './src/webrtc/provision.ts';
import { markdown, summarise, type WebrtcBenchReport } from './src/webrtc/report.ts';
import { type StreamerIce, startBenchStreamer } from './src/webrtc/streamer-child.ts';
import { startViewers } from './src/webrtc/viewers.ts';

const USAGE =
  'usage: node bench/webrtc-viewers.ts [--viewers 1,4,8] [--modes direct,relay-udp,relay-tls] [--fps 60] [--frame-bytes 16384] [--seconds 6] [--time-limit 240]';

/**
 * The three paths. The viewer is the real desktop app, whose modes are `auto` (direct first,
 * STUN only) and `turn-relay` (relay only, TURN/TLS); the streamer's ICE settings make the
 * path: for relay over UDP it is the streamer that is relay-only over TURN/UDP, so the stream
 * crosses coturn once in both relay modes (one allocation per viewer session).
 */
const MODES: Record<string, { label: string; viewerMode: 'auto' | 'turn-relay'; ice: StreamerIce }> = {
  direct: { label: 'direct', viewerMode: 'auto', ice: { turn: 'none', relayOnly: false } },
  'relay-udp': { label: 'relay TURN/UDP', viewerMode: 'auto', ice: { turn: 'udp', relayOnly: true } },
  'relay-tls': { label: 'relay TURN/TLS', viewerMode: 'turn-relay', ice: { turn: 'none', relayOnly: false } },
};

const { values } = parseArgs({
  options: {
    viewers: { type: 'string', default: '1,4,8' },
    modes: { type: 'string', default: 'direct,relay-udp,relay-tls' },
    fps: { type: 'string', default: '60' },
    'frame-bytes': { type: 'string', default: '16384' },
    seconds: { type: 'string', default: '6' },
    'time-limit': { type: 'string', default: '240' },
    help: { type: 'boolean', default: false },
  },
  strict: true,
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
function bounded(flag: string, raw: string, min: number, max: number): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    console.error(`--${flag} takes an integer from ${min} to ${max}, got ${JSON.stringify(raw)}\n${USAGE}`);
    process.exit(2);
  }
  return n;
}
const viewerCounts = values.viewers.split(',').map((v) => bounded('viewers', v.trim(), 1, 16));
const modes = values.modes.split(',').map((m) => m.trim());
for (const m of modes) {
  if (!MODES[m]) {
    console.error(`--modes takes ${Object.keys(MODES).join(', ')}; got ${m}\n${USAGE}`);
    process.exit(2);
  }
}
const fps = bounded('fps', values.fps, 1, 60);
const frameBytes = bounded('frame-bytes', values['frame-bytes'], 300, 60_000);
const windowMs = bounded('seconds', values.seconds, 1, 60) * 1000;
const timeLimitMs = bounded('time-limit', values['time-limit'], 30, 1800) * 1000;
const warmupMs = 1_000;

// Whatever happens, this run ends.
setTimeout(() => {
  console.error(`bench: still running after ${timeLimitMs / 1000} s, giving up`);
  process.exit(3);
}, timeLimitMs).unref();

/** the streamer's synthetic JPEGs, padded by the streamer to `frameBytes` (a compressed screen's size, not 300 bytes) */
const canary = `MCLAB-CANARY-${randomBytes(8).toString('hex')}`;
const hashes: string[] = [];
const frameHash = (n: number) => {
  hashes[n] ??= createHash('sha256')
    .update(syntheticJpeg(canary, n, frameBytes))
    .digest('hex');
  return hashes[n]!;
};

const progress = (message: string) => console.error(`bench: ${message}`);
const started = performance.now();
const loadAtStart = loadavg()[0]!;
progress('starting cloud, PostgreSQL and coturn on 127.0.0.1…');
await using stack = await LoopbackStack.start({ turn: true });
const coturn = stack.coturn!;
const { account, workspaceId, desktops } = await provision(stack.cloudUrl, stack.ca.certPem, modes);
const maxViewers = Math.max(...viewerCounts);
progress(`signing in ${maxViewers} viewers…`);
const viewers: DesktopApp[] = await startViewers(stack, account, maxViewers);

const cells: WebrtcBenchReport['cells'] = [];
try {
  for (const mode of modes) {
    const { label, viewerMode, ice } = MODES[mode]!;
    const desktop = desktops.get(mode)!;
    await using streamer = await startBenchStreamer(stack, {
      name: `streamer-${mode}`,
      workspaceId,
      instanceId: desktop.instanceId,
      instanceToken: desktop.instanceToken,
      ice,
      framesPerSecond: fps,
      canary,
      frameBytes,
      maxSessions: maxViewers,
    });
    // one unmeasured session first, so no cell pays for cold code paths
    await warmUp(viewers[0]!, desktop.instanceId, viewerMode, streamer);
    for (const count of viewerCounts) {
      progress(`${label}, ${count} viewer${count > 1 ? 's' : ''}…`);
      const result: CellResult = await runCell({
        viewers: viewers.slice(0, count),
        instanceId: desktop.instanceId,
        viewerMode,
        streamer,
        coturn,
        frameHash,
        warmupMs,
        windowMs,
        connectTimeoutMs: 20_000,
      });
      cells.push({ mode, label, result });
    }
  }
} finally {
  await Promise.allSettled(viewers.map((v) => v.close()));
}

const report: WebrtcBenchReport = {
  machine: describeMachine(),
  settings: { framesPerSecond: fps, frameBytes: syntheticJpeg(canary, 0, frameBytes).length, warmupMs, windowMs, viewerCounts },
  cells,
  loadAverage: [loadAtStart, loadavg()[0]!],
  durationMs: performance.now() - started,
};
const outDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'reports', 'bench');
await mkdir(outDir, { recursive: true });
const outFile = join(outDir, 'webrtc.json');
// the derived figures next to the raw counts they come from
const withSummaries = { ...report, cells: cells.map((c) => ({ ...c, summary: summarise(c.result, fps) })) };
await writeFile(outFile, `${JSON.stringify(withSummaries, null, 2)}\n`);
console.log(markdown(report));
if (Math.max(...report.loadAverage) > report.machine.cpus) {
  console.log(
    `\nNote: the load average exceeded the ${report.machine.cpus} cores: other work competed for the CPU, so rates are lower bounds.`,
  );
}
progress(`wrote ${relative(process.cwd(), outFile) || outFile} in ${Math.round(report.durationMs / 1000)} s`);
