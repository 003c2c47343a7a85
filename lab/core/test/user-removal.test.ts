import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { inviteAndAccept, routes } from '@multiclaw-lab/protocol';
import { describe, expect, it } from 'vitest';
import { newAccount, newWorkspace, startSite, startStack } from './support.ts';

/**
 * Credentials and secrets: "Removing a user from the workspace revokes all of that user's tokens
 * across every device." and "This revokes the gateway workspace auth token stored on the device."
 * Network security: the app signs in again only "if the token has been revoked".
 */
describe('an owner removes a user', () => {
  it("closes that user's sockets on every device, revokes every token, and leaves other users alone", async () => {
    await using lab = await startStack();
    const { api, stack } = lab;
    const owner = await newAccount(api, 'owner');
    const alice = await newAccount(api, 'alice');
    const bob = await newAccount(api, 'bob');
    const workspaceId = await newWorkspace(api, owner);
    for (const member of [alice, bob]) {
      await inviteAndAccept(api, { ownerBearer: owner.bearer, wid: workspaceId, member });
    }

    // Alice on two devices (one with its gateway), Bob on one.
    const laptop = await startSite(lab, 'alice-laptop', alice, workspaceId);
    await using phone = await stack.startDesktop('alice-second-device');
    await phone.call('signIn', { email: alice.email, password: alice.password });
    await using bobDesk = await stack.startDesktop('bob-desktop');
    await bobDesk.call('signIn', { email: bob.email, password: bob.password });
    for (const desk of [laptop.desktop, phone, bobDesk]) {
      await desk.call('connect');
      await desk.waitForEvent({ event: 'realtime.connected' });
    }
    const gatewayToken = JSON.parse(await readFile(join(laptop.gateway.home, '.openclaw', 'openclaw.json'), 'utf8')).workspace
      .authToken;
    // Before: every credential works.
    expect((await api.raw('GET', '/v1/me', { credential: alice.bearer })).status).toBe(200);
    expect((await api.raw('POST', '/v1/realtime/token', { credential: gatewayToken, body: { channel: 'gateway' } })).status).toBe(
      200,
    );
    const marks = [laptop.desktop.mark(), phone.mark(), bobDesk.mark()];

    await api.request(routes.removeMember, { credential: owner.bearer, params: { wid: workspaceId, uid: alice.id } });

    // Every device of Alice's is signed out by the cloud and her gateway reports revoked.
    const [laptopOut, phoneOut] = await Promise.all([
      laptop.desktop.waitForEvent({ event: 'signed-out' }, { since: marks[0] }),
      phone.waitForEvent({ event: 'signed-out' }, { since: marks[1] }),
      laptop.gateway.process.waitForLog({ event: 'workspace.revoked' }),
    ]);
    expect(laptopOut.json?.reason).toBe('revoked');
    expect(phoneOut.json?.reason).toBe('revoked');
    expect((await api.raw('GET', '/v1/me', { credential: alice.bearer })).status).toBe(401);
    expect((await api.raw('POST', '/v1/realtime/token', { credential: alice.bearer, body: { channel: 'user' } })).status).toBe(
      401,
    );
    expect((await api.raw('POST', '/v1/realtime/token', { credential: gatewayToken, body: { channel: 'gateway' } })).status).toBe(
      401,
    );
    expect(await laptop.desktop.call('status')).toMatchObject({ state: 'signed-out', signedIn: false });

    // Bob was not touched: his socket never dropped and his bearer works.
    expect(bobDesk.events({ event: 'signed-out' }, marks[2])).toEqual([]);
    expect(bobDesk.events({ event: 'realtime.reconnected' }, marks[2])).toEqual([]);
    expect(await bobDesk.call('status')).toMatchObject({ state: 'connected' });
    expect((await api.raw('GET', '/v1/me', { credential: bob.bearer })).status).toBe(200);

    await laptop.desktop.close();
    await laptop.gateway.process.stop();
  });
});
