import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { defineScenario } from '../define.ts';

const HOST = 's1-d2';

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

/**
 * The updater installs only what the published minisign key signed: a tampered file, a release
 * without a signature and one signed by another key are refused and leave nothing behind; a
 * validly signed one is installed and becomes the current version.
 */
export default defineScenario({
  id: 'S17-signed-updates',
  title: 'Updates: valid minisign signature → installed; tampered, unsigned or wrong key → refused',
  claims: ['SO-37', 'SO-38'],
  tags: ['updates'],
  needs: ['host-files', 'update-cdn'],
  desktopHosts: 2,
  timeoutMs: 180_000,
  async run(ctx) {
    const { lab } = ctx;
    const desktop = lab.desktop(HOST);
    const profile = join(lab.hostFiles(HOST).home, '.multiclaw-desktop');
    const current = (await desktop.call('status')).version;
    const [major, minor, patch] = current.split('.').map(Number) as [number, number, number];
    const next = (n: number) => `${major}.${minor}.${patch + n}`;

    const refusals = [
      { variant: 'tampered', code: 'bad_signature' },
      { variant: 'unsigned', code: 'missing_signature' },
      { variant: 'wrong-key', code: 'key_mismatch' },
    ] as const;
    for (const [i, { variant, code }] of refusals.entries()) {
      const version = next(i + 1);
      await ctx.step(`a ${variant} release ${version} is published`, () =>
        lab.cdnAdmin.publish({ channel: 'stable', version, variant }),
      );
      await ctx.check(['SO-38'], `the updater refuses a ${variant} release (${code}) and installs nothing`, async () => {
        const mark = desktop.mark();
        const result = await desktop.call('checkForUpdate');
        assert.equal(result.status, 'rejected', `a ${variant} release was ${result.status}`);
        assert.equal(result.status === 'rejected' && result.code, code, `refusal code for ${variant}`);
        await desktop.waitForEvent({ event: 'update.rejected' }, { since: mark, timeoutMs: 10_000 });
        assert.equal((await desktop.call('status')).version, current, 'the version changed');
        assert.equal(await exists(join(profile, 'updates', version)), false, `files of ${version} were written`);
      });
    }

    const version = next(refusals.length + 1);
    const release = await ctx.step(`a release ${version} validly signed with the published key`, () =>
      lab.cdnAdmin.publish({ channel: 'stable', version, variant: 'valid' }),
    );
    await ctx.check(['SO-37', 'SO-38'], 'a release with a valid minisign signature is installed and current', async () => {
      const mark = desktop.mark();
      const result = await desktop.call('checkForUpdate');
      assert.equal(result.status, 'installed', `a valid release was ${result.status}: ${JSON.stringify(result)}`);
      await desktop.waitForEvent({ event: 'update.installed' }, { since: mark, timeoutMs: 10_000 });
      assert.equal((await desktop.call('status')).version, version);
      const file = result.status === 'installed' ? result.file : '';
      const sha = createHash('sha256')
        .update(await readFile(file))
        .digest('hex');
      assert.equal(sha, release.sha256, 'the installed bytes are not the published ones');
      const again = await desktop.call('checkForUpdate');
      assert.equal(again.status, 'up-to-date', `after installing, the check says ${again.status}`);
    });
  },
});
