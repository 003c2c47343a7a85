import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLOSE_CODES, OpenclawConfig } from '@multiclaw-lab/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { type GatewayHandle, startGateway } from './gateway.ts';
import { filesContaining } from './test-support/files.ts';
import { FAST, GATEWAY_TOKEN, INSTANCE_ID, INSTANCE_TOKEN, linkedHome, WORKSPACE_ID } from './test-support/homes.ts';
import { captureLogs } from './test-support/log-capture.ts';
import { StandInCloud } from './test-support/stand-in-cloud.ts';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function setup(mode: 'local' | 'daemon' = 'local') {
  const cloud = await StandInCloud.start();
  cleanup.push(() => cloud.close());
  const logs = captureLogs();
  const home = await linkedHome(cloud.url, mode);
  const gateway = await startGateway({ home, mode, logger: logs.logger, ca: cloud.ca, ...FAST });
  cleanup.push(() => gateway.close());
  return { cloud, logs, home, gateway };
}

async function statusOf(gateway: GatewayHandle) {
  const res = await fetch(`${gateway.url}/v1/status`, { headers: { authorization: `Bearer ${gateway.sessionToken}` } });
  return (await res.json()) as { workspace: { connected: boolean; state: string } };
}

describe('cloud link', () => {
  it('mints a fresh token with the workspace credential for every connection and reconnects after a drop', async () => {
    const { cloud, logs } = await setup();
    const first = await cloud.connection(1);
    expect(first.channel).toBe('gateway');
    cloud.dropAll();
    await cloud.connection(2);
    cloud.dropAll();
    const third = await cloud.connection(3);
    await cloud.until(() => !third.closed && third.socket.readyState === third.socket.OPEN);

    const tokens = cloud.connections.map((c) => c.token);
    expect(new Set(tokens).size).toBe(3);
    expect(cloud.mintCredentials.every((c) => c === GATEWAY_TOKEN)).toBe(true);
    expect(logs.count({ event: 'ws.reconnect_scheduled' })).toBeGreaterThanOrEqual(2);
  });

  it('finds a silent (half-open) peer by its missing pong, drops it and reconnects', async () => {
    const { cloud, logs } = await setup();
    await cloud.connection(1);
    cloud.answerPings = false;
    await logs.waitFor({ event: 'ws.heartbeat_timeout' });
    cloud.answerPings = true;
    const second = await cloud.connection(2);
    expect(second.token).not.toBe(cloud.connections[0]!.token);
    await cloud.until(() => cloud.connections[0]!.closed);
  });

  it('on 4001 mints a new token and reconnects at once', async () => {
    const { cloud, logs } = await setup();
    await cloud.connection(1);
    cloud.closeAll(CLOSE_CODES.tokenExpired);
    await cloud.connection(2);
    expect(cloud.minted).toHaveLength(2);
    expect(await logs.waitFor({ event: 'ws.reconnect_scheduled', reason: 'token expired' })).toMatchObject({ delayMs: 0 });
  });

  it('on 4003 stops reconnecting and reports revoked', async () => {
    const { cloud, logs, gateway } = await setup();
    await cloud.connection(1);
    expect((await statusOf(gateway)).workspace).toMatchObject({ connected: true, state: 'connected' });
    cloud.closeAll(CLOSE_CODES.revoked);
    await logs.waitFor({ event: 'workspace.revoked' });
    expect((await statusOf(gateway)).workspace).toMatchObject({ connected: false, state: 'revoked' });
    expect(gateway.status().workspace.state).toBe('revoked');
    expect(cloud.minted).toHaveLength(1);
    expect(logs.count({ event: 'ws.reconnect_scheduled' })).toBe(0);
  });

  it('treats a 401 when minting as revocation', async () => {
    const cloud = await StandInCloud.start();
    cleanup.push(() => cloud.close());
    cloud.revokeMints = true;
    const logs = captureLogs();
    const gateway = await startGateway({
      home: await linkedHome(cloud.url),
      mode: 'local',
      logger: logs.logger,
      ca: cloud.ca,
      ...FAST,
    });
    cleanup.push(() => gateway.close());
    await logs.waitFor({ event: 'workspace.revoked' });
    expect(gateway.status().workspace).toMatchObject({ connected: false, state: 'revoked' });
    expect(cloud.mintCredentials).toHaveLength(1);
  });

  it('links through PUT /v1/workspace and unlinks through DELETE', async () => {
    const cloud = await StandInCloud.start();
    cleanup.push(() => cloud.close());
    const home = await mkdtemp(join(tmpdir(), 'gw-link-'));
    const gateway = await startGateway({ home, mode: 'local', logger: captureLogs().logger, ca: cloud.ca, ...FAST });
    cleanup.push(() => gateway.close());
    const headers = { authorization: `Bearer ${gateway.sessionToken}`, 'content-type': 'application/json' };
    const body = JSON.stringify({
      cloudUrl: cloud.url,
      workspaceId: WORKSPACE_ID,
      instanceId: INSTANCE_ID,
      authToken: GATEWAY_TOKEN,
    });
    expect((await fetch(`${gateway.url}/v1/workspace`, { method: 'PUT', headers, body })).status).toBe(204);
    await cloud.connection(1);
    const config = OpenclawConfig.parse(JSON.parse(await readFile(join(home, '.openclaw/openclaw.json'), 'utf8')));
    expect(config.workspace?.authToken).toBe(GATEWAY_TOKEN);

    expect((await fetch(`${gateway.url}/v1/workspace`, { method: 'DELETE', headers })).status).toBe(204);
    await cloud.until(() => cloud.connections[0]!.closed);
    expect(await filesContaining(home, GATEWAY_TOKEN)).toEqual([]);
    expect(gateway.status().workspace).toMatchObject({ linked: false, state: 'unlinked' });
  });

  it('in daemon mode provisions the workspace and uses the daemon channel with the instance token', async () => {
    const cloud = await StandInCloud.start();
    cleanup.push(() => cloud.close());
    const home = await mkdtemp(join(tmpdir(), 'gw-daemon-'));
    const provision = { cloudUrl: cloud.url, workspaceId: WORKSPACE_ID, instanceId: INSTANCE_ID, authToken: INSTANCE_TOKEN };
    const gateway = await startGateway({ home, mode: 'daemon', provision, logger: captureLogs().logger, ca: cloud.ca, ...FAST });
    cleanup.push(() => gateway.close());
    const conn = await cloud.connection(1);
    expect(conn.channel).toBe('daemon');
    expect(cloud.mintCredentials).toEqual([INSTANCE_TOKEN]);
    const config = OpenclawConfig.parse(JSON.parse(await readFile(join(home, '.openclaw/openclaw.json'), 'utf8')));
    expect(config).toMatchObject({ mode: 'daemon', workspace: provision });
    // a daemon cannot be relinked from the local API
    const res = await fetch(`${gateway.url}/v1/workspace`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${gateway.sessionToken}` },
    });
    expect(res.status).toBe(403);
  });

  it('answers a viewer offer with rtc.close when no screen streamer is plugged in', async () => {
    const { cloud } = await setup('daemon');
    const conn = await cloud.connection(1);
    conn.socket.send(JSON.stringify({ type: 'rtc.offer', sessionId: 'session-1', viewerUserId: 'u2', sdp: 'v=0' }));
    await cloud.until(() => conn.frames.some((f) => f.type === 'rtc.close'));
    expect(conn.frames.find((f) => f.type === 'rtc.close')).toEqual({
      type: 'rtc.close',
      sessionId: 'session-1',
      reason: 'no screen streamer',
    });
  });

  it('never writes a WSS session token to disk or to the log', async () => {
    const { cloud, home, logs, gateway } = await setup();
    await cloud.connection(1);
    cloud.dropAll();
    await cloud.connection(2);
    await gateway.close();
    expect(cloud.minted.length).toBeGreaterThanOrEqual(2);
    for (const token of cloud.minted) {
      expect(await filesContaining(home, token)).toEqual([]);
      expect(logs.text()).not.toContain(token);
    }
    expect(logs.text()).not.toContain(GATEWAY_TOKEN);
  });
});
