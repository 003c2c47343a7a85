import { routes } from '@multiclaw-lab/protocol';
import { describe, expect, it } from 'vitest';
import { newAccount, newWorkspace, startStack, tryUpgrade } from './support.ts';

/**
 * Credentials and secrets: "user session tokens expire after 4 hours, and daemon (cloud desktop)
 * connection tokens expire after 24 hours. When a token expires, the system generates a new one
 * automatically on reconnect." The cloud's wall clock is moved with libfaketime; the clients'
 * clocks are not touched (expiry is the cloud's decision).
 */
const HOUR = 3600;

describe('WSS token lifetimes', () => {
  it('user tokens die after 4 h, daemon tokens after 24 h; clients renew; the bearer lives on', async () => {
    await using lab = await startStack({ cloudClock: true, cloudEnv: { CLOUD_SWEEP_INTERVAL_MS: '200' } });
    const { api, stack } = lab;
    const owner = await newAccount(api, 'owner');
    const workspaceId = await newWorkspace(api, owner);
    const created = await api.request(routes.createInstance, {
      credential: owner.bearer,
      params: { wid: workspaceId },
      body: { name: 'cloud-desktop-1' },
    });
    // A second cloud desktop with no daemon running, whose tokens the harness probes directly
    // (a probe on the first would replace its daemon's connection: one socket per instance).
    const probeInstance = await api.request(routes.createInstance, {
      credential: owner.bearer,
      params: { wid: workspaceId },
      body: { name: 'cloud-desktop-2' },
    });
    const mint = async (credential: string, channel: 'user' | 'daemon') =>
      (await api.request(routes.mintRealtimeToken, { credential, body: { channel } })).token;

    // Long-running clients: a desktop app and a cloud desktop's daemon gateway.
    await using desktop = await stack.startDesktop('desk');
    await desktop.call('signIn', { email: owner.email, password: owner.password });
    await desktop.call('connect');
    await desktop.waitForEvent({ event: 'realtime.connected' });
    const daemon = await stack.startGateway('cloud-desktop-1', {
      mode: 'daemon',
      provision: { cloudUrl: stack.cloudUrl, workspaceId, instanceId: created.instance.id, instanceToken: created.instanceToken },
    });
    await daemon.process.waitForLog({ event: 'ws.welcome' });

    const userToken = await mint(owner.bearer, 'user');
    const daemonToken = await mint(probeInstance.instanceToken, 'daemon');
    expect((await tryUpgrade(stack.cloudUrl, stack.ca.certPem, 'user', userToken)).status).toBe(101);

    // +4 h 1 min: user tokens are refused and the open user session is closed so it renews;
    // daemon tokens are still good and the running daemon's session is left alone.
    let desktopMark = desktop.mark();
    const daemonLinesBefore = daemon.process.lines.length;
    await stack.setCloudClockOffset(4 * HOUR + 60);
    const refused = await tryUpgrade(stack.cloudUrl, stack.ca.certPem, 'user', userToken);
    expect(refused.status).toBe(401);
    expect(JSON.parse(refused.body ?? '{}').error.code).toBe('token_expired');
    expect((await tryUpgrade(stack.cloudUrl, stack.ca.certPem, 'daemon', daemonToken)).status).toBe(101);
    // the open user session was closed by the cloud with the distinct expiry code, then renewed
    await desktop.waitForEvent({ event: 'realtime.dropped', code: 4001 }, { since: desktopMark });
    await desktop.waitForEvent({ event: 'realtime.reconnected' }, { since: desktopMark });
    expect(daemon.process.lines.slice(daemonLinesBefore).some((l) => l.json?.event === 'ws.closed')).toBe(false);

    // +24 h 1 min: the daemon token goes too; the daemon renews by itself.
    desktopMark = desktop.mark();
    await stack.setCloudClockOffset(24 * HOUR + 60);
    const daemonRefused = await tryUpgrade(stack.cloudUrl, stack.ca.certPem, 'daemon', daemonToken);
    expect(daemonRefused.status).toBe(401);
    expect(JSON.parse(daemonRefused.body ?? '{}').error.code).toBe('token_expired');
    const closed = await daemon.process.waitForLine((l) => l.json?.event === 'ws.closed' && l.json.code === 4001);
    await daemon.process.waitForLine(
      (l) => l.json?.event === 'ws.welcome' && daemon.process.lines.indexOf(l) > daemon.process.lines.indexOf(closed),
    );
    await desktop.waitForEvent({ event: 'realtime.reconnected' }, { since: desktopMark });

    // The bearer persists until sign-out: a day later it still mints tokens without a password.
    expect((await api.raw('GET', '/v1/me', { credential: owner.bearer })).status).toBe(200);
    expect((await tryUpgrade(stack.cloudUrl, stack.ca.certPem, 'user', await mint(owner.bearer, 'user'))).status).toBe(101);
    await daemon.process.stop();
  });
});
