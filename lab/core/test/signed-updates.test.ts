import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startStack } from './support.ts';

/**
 * Security overview: "Before installing an update, the updater verifies the signature against
 * the published public key and rejects any update with an invalid or missing signature."
 * The real desktop simulator against the real CDN, which signs with minisign.
 */
describe('signed updates', () => {
  it('installs a validly signed release and refuses tampered, unsigned and wrong-key ones', async () => {
    await using lab = await startStack();
    const { stack } = lab;
    const profileDir = join(stack.dir, 'hosts', 'desk', 'profile');
    await using desktop = await stack.startDesktop('desk', { profileDir, env: { DESKTOP_VERSION: '1.0.0' } });
    const installed = async () => readdir(join(profileDir, 'updates')).catch(() => [] as string[]);

    for (const [variant, version, code] of [
      ['tampered', '1.1.0', 'bad_signature'],
      ['unsigned', '1.2.0', 'missing_signature'],
      ['wrong-key', '1.3.0', 'key_mismatch'],
    ] as const) {
      await stack.cdnAdmin.publish({ channel: 'stable', version, variant });
      const result = await desktop.call('checkForUpdate');
      expect(result, variant).toMatchObject({ status: 'rejected' });
      expect(JSON.stringify(result), variant).toContain(code);
      expect(await installed(), variant).not.toContain(version);
    }

    await stack.cdnAdmin.publish({ channel: 'stable', version: '2.0.0', variant: 'valid' });
    expect(await desktop.call('checkForUpdate')).toMatchObject({ status: 'installed', version: '2.0.0' });
    expect(await installed()).toContain('2.0.0');
    expect(await desktop.call('status')).toMatchObject({ version: '2.0.0' });
  });
});
