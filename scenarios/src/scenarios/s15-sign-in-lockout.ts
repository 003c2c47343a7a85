import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DesktopCommandError } from '@multiclaw-lab/core';
import { dumpDatabase } from '../canary.ts';
import { defineScenario } from '../define.ts';

const HOST = 's1-d3';
/** lab/cloud's defaults (cloud/src/options.ts DEFAULT_LOCKOUT), unless the lab sets CLOUD_LOCKOUT_* */
const DEFAULTS = { maxFailures: 5, lockSeconds: 15 * 60 };

/**
 * Repeated wrong passwords lock the account for a while — even the right password is refused,
 * by the cloud, for the desktop app as for the API — and once the lockout time has passed (the
 * cloud's clock is moved rather than waited for) the right password works again. Along the way
 * the passwords used are nowhere in plaintext: not in the database, the logs or the profile.
 */
export default defineScenario({
  id: 'S15-sign-in-lockout',
  title: 'Repeated failed sign-ins → temporary lockout decided by the cloud, then recovery',
  claims: ['SO-11', 'SO-13', 'CS-42'],
  tags: ['tokens'],
  needs: ['clock', 'host-files'],
  desktopHosts: 3,
  timeoutMs: 180_000,
  async run(ctx) {
    const { lab, api } = ctx;
    const cloudEnv = lab.service('cloud').def.env;
    const policy = {
      maxFailures: Number(cloudEnv.CLOUD_LOCKOUT_MAX_FAILURES ?? DEFAULTS.maxFailures),
      lockSeconds: Number(cloudEnv.CLOUD_LOCKOUT_SECONDS ?? DEFAULTS.lockSeconds),
    };
    ctx.note('lockout.policy', policy);
    const bob = await ctx.account('bob');
    const wrong = ctx.plant(`${bob.password}-typo`, 'a wrong password of bob');
    const signIn = (password: string) => api.raw('POST', '/v1/auth/sign-in', { body: { email: bob.email, password } });
    ctx.onCleanup(() => lab.setClock('cloud', 0));

    await ctx.check(['SO-13'], `${policy.maxFailures} wrong passwords lock the account`, async () => {
      for (let i = 1; i < policy.maxFailures; i++) {
        const r = await signIn(wrong);
        assert.equal(r.status, 401, `wrong password #${i}: expected 401 invalid_credentials, got ${r.status}`);
      }
      const last = await signIn(wrong);
      assert.equal(last.status, 423, `wrong password #${policy.maxFailures}: expected 423 account_locked, got ${last.status}`);
      // the answer and the log line reach the harness by different paths: wait for the line
      await ctx.waitForLog(
        'cloud',
        { event: 'auth.account_locked', userId: bob.id },
        { since: ctx.startedAt, timeoutMs: 10_000 },
      );
      const locked = ctx.events('cloud', { event: 'auth.account_locked', userId: bob.id });
      assert.equal(locked.length, 1, 'the cloud logged the lock more than once');
    });

    await ctx.check(
      ['SO-13', 'SO-11'],
      'while locked, the right password is refused — by the cloud, for the API and the desktop app',
      async () => {
        const r = await signIn(bob.password);
        assert.equal(r.status, 423, `right password while locked: expected 423, got ${r.status}`);
        const body = r.body as { error?: { code?: string; retryAfterSeconds?: number } };
        assert.equal(body.error?.code, 'account_locked');
        ctx.metric('retry-after given while locked', Number(body.error?.retryAfterSeconds), 's');
        const desktop = lab.desktop(HOST);
        const status = await desktop.call('status');
        if (status.signedIn) await desktop.call('signOut');
        const refused = await desktop.call('signIn', { email: bob.email, password: bob.password }).then(
          () => undefined,
          (err: unknown) => err,
        );
        assert.ok(refused instanceof DesktopCommandError, 'the desktop app signed in to a locked account');
        assert.equal(refused.remoteCode, 'account_locked', `the app reported ${refused.remoteCode}`);
        assert.equal((await desktop.call('status')).signedIn, false);
        // the existing session is not what the lockout is about: the bearer bob already has still works
        assert.equal((await api.raw('GET', '/v1/me', { credential: bob.bearer })).status, 200);
      },
    );

    await ctx.step('the cloud clock moves to a minute before the lockout ends', async () => {
      await lab.setClock('cloud', policy.lockSeconds - 60);
      const moved = (await lab.hostNow('cloud')) - Date.now();
      assert.ok(moved > (policy.lockSeconds - 120) * 1000, `the cloud clock did not move (${moved} ms)`);
    });
    await ctx.check(['SO-13'], 'a minute before the lockout ends it still holds', async () => {
      const r = await signIn(bob.password);
      assert.equal(r.status, 423, `right password ${policy.lockSeconds - 60} s later: expected 423, got ${r.status}`);
    });

    await ctx.step('the cloud clock moves past the end of the lockout', () => lab.setClock('cloud', policy.lockSeconds + 60));
    await ctx.check(['SO-13', 'SO-11'], 'after the lockout the right password works again, in the API and the app', async () => {
      const r = await signIn(bob.password);
      assert.equal(r.status, 200, `right password after the lockout: expected 200, got ${r.status}`);
      const desktop = lab.desktop(HOST);
      await desktop.call('signIn', { email: bob.email, password: bob.password });
      assert.equal((await desktop.call('status')).signedIn, true);
      await desktop.call('signOut');
    });

    await ctx.check(
      ['CS-42'],
      'the passwords are nowhere in plaintext: database (bcrypt only), cloud logs, desktop profile',
      async () => {
        const dir = await mkdtemp(join(tmpdir(), 's15-'));
        try {
          const file = join(dir, 'db.sql');
          assert.equal(await dumpDatabase(lab, file), true, 'the database could not be dumped');
          const dump = await readFile(file, 'utf8');
          for (const pw of [bob.password, wrong]) assert.ok(!dump.includes(pw), 'a password is in the database in plaintext');
          assert.match(dump, /\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}/, 'no bcrypt hash in the database');
        } finally {
          await rm(dir, { recursive: true, force: true });
        }
        const cloudLines = lab.history.filter((s) => s.def.host === 'cloud').flatMap((s) => s.handle.lines);
        const desktopLines = lab.history.filter((s) => s.def.host === HOST).flatMap((s) => s.handle.lines);
        for (const l of [...cloudLines, ...desktopLines]) {
          assert.ok(!l.text.includes(bob.password) && !l.text.includes(wrong), 'a password appears in a log line');
        }
        const profile = join(lab.hostFiles(HOST).home, '.multiclaw-desktop');
        for (const e of await readdir(profile, { recursive: true, withFileTypes: true })) {
          if (!e.isFile()) continue;
          const text = await readFile(join(e.parentPath, e.name), 'utf8');
          assert.ok(!text.includes(bob.password), `the password is in the desktop profile (${e.name})`);
        }
      },
    );
  },
});
