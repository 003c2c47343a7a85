import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserViewer } from '../src/browser-viewer/open.ts';

/**
 * The browser viewer page in real headless Chromium against every real piece (cloud, PostgreSQL,
 * coturn, a daemon streaming over WebRTC), both modes. Chromium gathers candidates on every
 * interface it sees, so the whole stack runs inside a private network namespace of its own: a
 * loopback plus one unconnected veth with 198.18.254.1 (Chromium gathers nothing without a routed
 * interface); no packet can leave it. Without chromium or certutil the test skips on a workstation
 * and FAILS in CI, where the tool catalogue installs them.
 */
const run = promisify(execFile);
const CHROMIUM = process.env.LAB_CHROMIUM ?? '/usr/bin/chromium';
const missing = [CHROMIUM, '/usr/bin/certutil'].filter((f) => !existsSync(f));
const inCI = ['true', '1', 'yes'].includes((process.env.CI ?? '').toLowerCase());
const skip = missing.length > 0 && !inCI;
const title = skip
  ? `the browser viewer (SKIPPED: no ${missing.join(', ')}; \`pnpm lab doctor --install\`)`
  : 'the browser viewer in real Chromium';
if (skip) console.warn(title);

type Outcome = {
  run: string;
  result?: Omit<BrowserViewer, 'close' | typeof Symbol.asyncDispose> & { inputsRejected: number };
  error?: string;
};
const namespace = `bvt${randomBytes(3).toString('hex')}`;
let dir: string;
const outcomes = new Map<string, Outcome>();

async function ip(...args: string[]) {
  await run('ip', args);
}

beforeAll(async () => {
  if (skip) return;
  if (missing.length > 0)
    throw new Error(`CI=${process.env.CI} but ${missing.join(', ')} is missing: the tool catalogue should have installed it`);
  dir = await mkdtemp(join(tmpdir(), 'mclab-browser-viewer-'));
  await ip('netns', 'add', namespace);
  await ip('-n', namespace, 'link', 'set', 'lo', 'up');
  await ip('-n', namespace, 'link', 'add', 'v0', 'type', 'veth', 'peer', 'name', 'v1');
  await ip('-n', namespace, 'addr', 'add', '198.18.254.1/24', 'dev', 'v0');
  await ip('-n', namespace, 'link', 'set', 'v0', 'up');
  await ip('-n', namespace, 'link', 'set', 'v1', 'up');
  await ip('-n', namespace, 'route', 'add', 'default', 'dev', 'v0');
  // auto, turn-relay, and auto whose direct attempt gets 1 ms: it must fall back to TURN/UDP
  const { stdout } = await run(
    'ip',
    [
      'netns',
      'exec',
      namespace,
      process.execPath,
      '--no-warnings',
      join(import.meta.dirname, 'browser-viewer-loopback.ts'),
      dir,
      'auto,turn-relay,auto:1',
    ],
    { timeout: 240_000, maxBuffer: 16 << 20 },
  );
  for (const line of stdout.split('\n').filter((l) => l.startsWith('{'))) {
    const outcome = JSON.parse(line) as Outcome;
    outcomes.set(outcome.run, outcome);
  }
}, 300_000);

afterAll(async () => {
  if (skip) return;
  await ip('netns', 'del', namespace).catch(() => undefined);
  if (dir) await rm(dir, { recursive: true, force: true });
});

function result(name: string) {
  const outcome = outcomes.get(name);
  expect(outcome?.error, `run ${name}`).toBeUndefined();
  expect(outcome?.result, `run ${name} reported nothing`).toBeDefined();
  return outcome!.result!;
}

describe.skipIf(skip)(title, () => {
  it('auto: connects directly with STUN only, draws the frames (screenshot) and sends an input event', () => {
    const r = result('auto');
    expect(r.attempt).toBe('direct');
    expect(r.failedAttempts).toEqual([]);
    expect(['host', 'srflx', 'prflx']).toContain(r.pair?.local);
    expect(r.pair?.relayProtocol).toBeNull();
    expect(r.frames).toBeGreaterThanOrEqual(10);
    expect(r.bytes).toBeGreaterThan(0);
    expect(r.screenshot.frameShare).toBeGreaterThanOrEqual(0.9);
    expect(r.screenshot.blackShare).toBe(0);
    expect(existsSync(r.screenshotPath)).toBe(true);
    expect(r.inputSent).toBe(true);
    expect(r.inputsRejected).toBe(0);
  });

  it('turn-relay: relay only, over TURN/TLS, and the frames still arrive and are drawn', () => {
    const r = result('turn-relay');
    expect(r.attempt).toBe('relay');
    expect(r.pair).toMatchObject({ local: 'relay', relayProtocol: 'tls' });
    expect(r.frames).toBeGreaterThanOrEqual(10);
    expect(r.screenshot.frameShare).toBeGreaterThanOrEqual(0.9);
  });

  it('auto: when the direct attempt does not connect in time, a second session over TURN/UDP does', () => {
    const r = result('auto:1');
    expect(r.failedAttempts.map((a) => a.attempt)).toEqual(['direct']);
    expect(r.attempt).toBe('relay');
    expect(r.frames).toBeGreaterThanOrEqual(10);
    expect(r.screenshot.frameShare).toBeGreaterThanOrEqual(0.9);
  });
});
