import { describe, expect, it } from 'vitest';
import { TcpRelay } from '../src/tcp-relay.ts';
import { newAccount, startStack } from './support.ts';

/**
 * Network security: "If the HTTPS or WSS connection drops, the desktop app reconnects
 * automatically and re-authenticates with the existing bearer token. You don't need to sign in
 * again." Real cloud, real desktop simulator process, the link between them cut by a relay.
 */
describe('desktop app reconnects with its bearer', () => {
  it('after a reset and after a blackhole, without signing in again, with a fresh WSS token', async () => {
    await using lab = await startStack();
    const { stack, api } = lab;
    const alice = await newAccount(api, 'alice');
    await using relay = await TcpRelay.start(stack.cloudPort);
    await using desktop = await stack.startDesktop('desk-1', {
      cloudUrl: `https://localhost:${relay.port}`,
      // short heartbeats so a silent link is found quickly; the mechanism is the same
      env: { DESKTOP_HEARTBEAT_INTERVAL_MS: '500', DESKTOP_HEARTBEAT_TIMEOUT_MS: '1000' },
    });

    await desktop.call('signIn', { email: alice.email, password: alice.password });
    await desktop.call('connect');
    await desktop.waitForEvent({ event: 'realtime.connected' });
    const signInsBefore = stack.cloud.jsonLines().filter((l) => l.event === 'auth.signed_in').length;
    const mintsBefore = stack.cloud.jsonLines().filter((l) => l.event === 'realtime.token_minted').length;

    // The fault takes effect: the open socket dies.
    let mark = desktop.mark();
    relay.resetAll();
    await desktop.waitForEvent({ event: 'realtime.backoff' }, { since: mark });
    const reconnected = await desktop.waitForEvent({ event: 'realtime.reconnected' }, { since: mark });
    expect(reconnected.json?.downtimeMs).toEqual(expect.any(Number));

    // Blackhole: the connection goes silent; heartbeats must find it, and reconnect after heal.
    mark = desktop.mark();
    relay.blackhole();
    await desktop.waitForEvent({ event: 'realtime.backoff' }, { since: mark });
    const probe = await api.raw('GET', '/healthz'); // the cloud itself is fine
    expect(probe.status).toBe(200);
    relay.heal();
    await desktop.waitForEvent({ event: 'realtime.reconnected' }, { since: mark });

    const cloudLines = stack.cloud.jsonLines();
    expect(cloudLines.filter((l) => l.event === 'auth.signed_in').length).toBe(signInsBefore);
    expect(cloudLines.filter((l) => l.event === 'realtime.token_minted').length).toBeGreaterThanOrEqual(mintsBefore + 2);
    const status = await desktop.call('status');
    expect(status).toMatchObject({ state: 'connected', signedIn: true });
  });
});
