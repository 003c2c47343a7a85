import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { syntheticJpeg } from '@multiclaw-lab/gateway';
import { type CoturnHandle, turnAllocate, turnCredentials } from '@multiclaw-lab/infra';
import { routes } from '@multiclaw-lab/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DesktopDriver } from '../src/desktop-driver.ts';
import { type Account, newAccount, newWorkspace, startStack } from './support.ts';

/**
 * Viewing a cloud desktop with every real piece on loopback: the cloud and PostgreSQL
 * (LoopbackStack), a real coturn sharing the cloud's TURN secret, a cloud desktop's daemon gateway
 * streaming its synthetic screen over WebRTC, and a desktop simulator viewing it through its serve
 * command. Signalling goes only
 * through the cloud's WSS; the path the media took is read from the viewer's selected candidate
 * pair and from coturn's own log.
 */

const FRAMES = 10;
/** the daemon's frame marker: chosen here so every frame can be recomputed and compared byte for byte */
const CANARY = `MCLAB-CANARY-${randomBytes(8).toString('hex')}`;
const expectedHashes = (count: number) =>
  Array.from({ length: count }, (_, n) => createHash('sha256').update(syntheticJpeg(CANARY, n)).digest('hex'));

type Lab = Awaited<ReturnType<typeof startStack>>;
let lab: Lab;
let coturn: CoturnHandle;
let owner: Account;
let workspaceId: string;
let desktop: DesktopDriver;

beforeAll(async () => {
  lab = await startStack({ turn: true });
  coturn = lab.stack.coturn!;
  owner = await newAccount(lab.api, 'viewer');
  workspaceId = await newWorkspace(lab.api, owner);
  desktop = await lab.stack.startDesktop('viewer-desktop', { env: { DESKTOP_WEBRTC_HOST_ADDRESSES: '127.0.0.1' } });
  await desktop.call('signIn', { email: owner.email, password: owner.password });
});

afterAll(async () => {
  await lab?.[Symbol.asyncDispose]();
});

/** A new cloud desktop in the workspace and its daemon gateway, streaming with `turnTransport`. */
async function startCloudDesktop(name: string, turnTransport: 'udp' | 'none') {
  const created = await lab.api.request(routes.createInstance, {
    credential: owner.bearer,
    params: { wid: workspaceId },
    body: { name },
  });
  const instanceId = created.instance.id;
  const daemon = await lab.stack.startGateway(name, {
    mode: 'daemon',
    provision: { cloudUrl: lab.stack.cloudUrl, workspaceId, instanceId, instanceToken: created.instanceToken },
    env: {
      GATEWAY_SCREEN_STREAMER: 'webrtc',
      GATEWAY_SCREEN_FPS: '30',
      GATEWAY_SCREEN_CANARY: CANARY,
      GATEWAY_TURN_TRANSPORT: turnTransport,
      GATEWAY_WEBRTC_HOST_ADDRESSES: '127.0.0.1',
    },
  });
  await daemon.process.waitForLog({ event: 'ws.welcome' });
  return { instanceId, daemon: daemon.process };
}

/**
 * Everything coturn logged up to now: a fresh allocation by a sentinel user, sent after whatever
 * is being checked, is in the log only once coturn has handled (and logged) everything earlier.
 */
async function coturnCaughtUp(): Promise<void> {
  const secret = (await readFile(lab.stack.turnSecretFile, 'utf8')).trim();
  const { username, credential } = turnCredentials(secret, `sentinel-${randomBytes(4).toString('hex')}`);
  const result = await turnAllocate({
    host: '127.0.0.1',
    port: coturn.config.listeningPort,
    transport: 'udp',
    username,
    credential,
  });
  expect(result).toMatchObject({ ok: true });
  await coturn.waitForEvent('turn.allocation', (e) => e.user === username);
}

describe('viewing a cloud desktop over WebRTC: real cloud, coturn, daemon and desktop on loopback', () => {
  it('turn-relay: relays over TURN/TLS, frames arrive byte-identical, input reaches the daemon', async () => {
    const { instanceId, daemon } = await startCloudDesktop('cloud-desktop-relay', 'udp');
    const view = await desktop.call('viewDesktop', { instanceId, mode: 'turn-relay', frames: FRAMES, timeoutMs: 30_000 }, 60_000);

    // the viewer's side of the pair is a relay candidate reached over TLS
    expect(view.pair).toMatchObject({ local: 'relay', relayTransport: 'tls' });
    expect(view.sha256).toEqual(expectedHashes(FRAMES));
    expect(view.frames).toBeGreaterThanOrEqual(FRAMES);

    // coturn agrees: the viewer (TURN username `<expiry>:<user id>`) allocated on a TLS session
    const viewerAllocation = await coturn.waitForEvent(
      'turn.allocation',
      (e) => e.user.endsWith(`:${owner.id}`) && e.transport === 'tls',
    );
    const session = coturn.events.find((e) => e.event === 'turn.session' && e.session === viewerAllocation.session);
    expect(session).toMatchObject({ tls: true, tlsVersion: expect.stringMatching(/^TLSv1\.[23]$/) });

    // the command sends one pointer event on the open channel; the daemon logs the input it applied
    await daemon.waitForLog({ event: 'rtc.input', sessionId: view.sessionId, type: 'pointer' });
  });

  it('auto: connects directly with a non-relay pair, and coturn allocates nothing for it', async () => {
    const { instanceId, daemon } = await startCloudDesktop('cloud-desktop-direct', 'none');
    const since = coturn.events.length;
    const view = await desktop.call('viewDesktop', { instanceId, mode: 'auto', frames: FRAMES, timeoutMs: 30_000 }, 60_000);

    expect(view.attempt).toBe('direct');
    expect(view.pair?.local).toBeDefined();
    expect(view.pair?.local).not.toBe('relay');
    expect(view.pair?.remote).not.toBe('relay');
    expect(view.sha256).toEqual(expectedHashes(FRAMES));
    await daemon.waitForLog({ event: 'rtc.input', sessionId: view.sessionId, type: 'pointer' });

    await coturnCaughtUp();
    const allocations = coturn.events
      .slice(since)
      .filter((e) => e.event === 'turn.allocation' && (e.user.endsWith(`:${owner.id}`) || e.user.endsWith(`:${instanceId}`)));
    expect(allocations).toEqual([]);
  });
});
