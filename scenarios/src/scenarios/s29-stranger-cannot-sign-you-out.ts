import assert from 'node:assert/strict';
import { routes } from '@multiclaw-lab/protocol';
import { defineScenario } from '../define.ts';

/**
 * Removing a member or forcing a sign-out revokes every token of that user on every device, so
 * who counts as a member matters: if anyone could add anyone, a stranger could sign anyone out
 * everywhere. The pages are silent on how people join; the replica does what a real product does
 * (an invitation the invitee accepts), and this checks it from the victim's side: a stranger's
 * workspace that invited Alice can neither remove nor sign her out, and her app stays signed in.
 */
export default defineScenario({
  id: 'S29-stranger-cannot-sign-you-out',
  title: 'A stranger who invites you cannot sign you out or remove you: membership needs your acceptance',
  claims: ['SO-16', 'SO-14'],
  tags: ['tokens'],
  needs: [],
  async run(ctx) {
    const alice = await ctx.account('alice');
    const mallory = await ctx.account('mallory');
    const desktop = await ctx.step('Alice signed in on her desktop', () => ctx.useDesktop('s1-d1', alice));
    const { wid, invitationId } = await ctx.step('Mallory makes a workspace and invites Alice', async () => {
      const wid = await ctx.workspace(mallory);
      const invitation = await ctx.api.request(routes.inviteMember, {
        credential: mallory.bearer,
        params: { wid },
        body: { email: alice.email, role: 'member' },
      });
      return { wid, invitationId: invitation.id };
    });

    await ctx.check(['SO-16'], "an invitation gives the inviter no power over the invitee's sessions", async () => {
      const signOut = await ctx.api.raw('POST', `/v1/workspaces/${wid}/members/${alice.id}/sign-out`, {
        credential: mallory.bearer,
      });
      assert.equal(signOut.status, 404, `a stranger's forced sign-out of Alice answered ${signOut.status}`);
      const remove = await ctx.api.raw('DELETE', `/v1/workspaces/${wid}/members/${alice.id}`, { credential: mallory.bearer });
      assert.equal(remove.status, 404, `a stranger's removal of Alice answered ${remove.status}`);
      // seen from Alice's side: her bearers still work, in the cloud and in her app
      const me = await ctx.api.raw('GET', '/v1/me', { credential: alice.bearer });
      assert.equal(me.status, 200, "Alice's bearer stopped working after a stranger's requests");
      const status = await desktop.call('status');
      assert.deepEqual({ signedIn: status.signedIn }, { signedIn: true }, "Alice's app was signed out by a stranger");
      assert.equal((await desktop.call('me')).user.id, alice.id);
    });

    await ctx.check(['SO-14'], 'a role is had only by accepting it: Alice is no member until she says yes', async () => {
      const before = await ctx.api.request(routes.listMembers, { credential: mallory.bearer, params: { wid } });
      assert.ok(!before.members.some((m) => m.userId === alice.id), 'Alice is a member of a workspace she never joined');
      const waiting = await desktop.call('listInvitations');
      assert.ok(
        waiting.invitations.some((v) => v.id === invitationId),
        "the invitation is not among Alice's",
      );
      const joined = await desktop.call('acceptInvitation', { invitationId });
      assert.deepEqual({ id: joined.id, role: joined.role }, { id: wid, role: 'member' });
      const after = await ctx.api.request(routes.listMembers, { credential: mallory.bearer, params: { wid } });
      assert.equal(after.members.find((m) => m.userId === alice.id)?.role, 'member');
    });
  },
});
