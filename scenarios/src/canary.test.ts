import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scanForSecrets } from './canary.ts';

describe('canary scan: allowedIn', () => {
  it('ignores a secret only in the exact files it is documented to live in; reports it everywhere else', async () => {
    const root = await mkdtemp(join(tmpdir(), 'canary-'));
    const home = join(root, 'hosts', 's1-d3', 'home', '.openclaw');
    await mkdir(home, { recursive: true });
    const config = join(home, 'openclaw.json');
    const sibling = join(home, 'openclaw.json.bak');
    const log = join(root, 'logs', 'cloud.log');
    await mkdir(join(root, 'logs'));
    const secret = 'sk-lab-local-only-0123456789';
    const other = 'pw-not-allowed-anywhere-42';
    await writeFile(config, JSON.stringify({ apiKey: secret, note: other }));
    await writeFile(sibling, secret);
    await writeFile(log, `line with ${secret}`);

    const planted = new Map([
      [secret, 'S19: local key'],
      [other, 'S19: a password'],
    ]);
    const scan = await scanForSecrets(planted, [root], new Map([[secret, [config]]]));
    expect(scan.filesScanned).toBe(3);
    expect(scan.hits.sort((a, b) => a.file.localeCompare(b.file))).toEqual(
      [
        { file: config, label: 'S19: a password' },
        { file: sibling, label: 'S19: local key' },
        { file: log, label: 'S19: local key' },
      ].sort((a, b) => a.file.localeCompare(b.file)),
    );

    // without the allowance the documented file is a hit too
    const strict = await scanForSecrets(planted, [root]);
    expect(strict.hits.filter((h) => h.label === 'S19: local key').map((h) => h.file)).toContain(config);
  });
});
