import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cleanChildEnv, startProcess } from '@multiclaw-lab/kit';
import { writeTrustStore } from '@multiclaw-lab/pki';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CRASH_EXIT_CODE, CRASH_REPORTS_DIR, type CrashReport, writeCrashReport } from './crash-report.ts';
import { tempDir } from './testing/helpers.ts';
import { StandInCloud } from './testing/stand-in-cloud.ts';

const CLI = fileURLToPath(new URL('./cli.ts', import.meta.url));
const EMAIL = 'crash@example.test';
const PASSWORD = 'PLANTED-password-crash-51c0';
const PLANTED_KEY = 'sk-lab-PLANTED-crash-0123456789abcdef';

describe('writeCrashReport', () => {
  it('writes JSON with the error and stack into <profile>/crash-reports, 0600 in a 0700 folder, secrets scrubbed', async () => {
    const profile = await tempDir('crash');
    const file = writeCrashReport(
      profile,
      new Error(`provider refused ${PLANTED_KEY}`),
      '1.2.3',
      new Date('2030-01-02T03:04:05Z'),
    );
    expect(file).toBe(join(profile, CRASH_REPORTS_DIR, '2030-01-02T03-04-05-000Z.json'));
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(join(profile, CRASH_REPORTS_DIR))).mode & 0o777).toBe(0o700);
    const text = await readFile(file, 'utf8');
    expect(text).not.toContain(PLANTED_KEY);
    const report = JSON.parse(text) as CrashReport;
    expect(report).toMatchObject({ crashedAt: '2030-01-02T03:04:05.000Z', version: '1.2.3', error: { name: 'Error' } });
    expect(report.error.message).toMatch(/^provider refused sk-l\[redacted\]$/);
    expect(report.error.stack).toContain('crash-report.test.ts');
  });
});

describe('the crash test hook (a real serve process)', () => {
  let cloud: StandInCloud;
  let env: NodeJS.ProcessEnv;
  let profile: string;

  beforeAll(async () => {
    cloud = await StandInCloud.start({ users: [{ email: EMAIL, password: PASSWORD }] });
    const trust = await tempDir('trust');
    profile = join(await tempDir('crash-cli'), 'profile');
    env = cleanChildEnv({
      SSL_CERT_FILE: await writeTrustStore(trust, [cloud.ca]),
      SSL_CERT_DIR: trust,
      DESKTOP_PROFILE_DIR: profile,
      DESKTOP_CLOUD_URL: cloud.url,
    });
  });
  afterAll(() => cloud.close());

  it('crash: exits non-zero, leaves a crash report in the profile, sends nothing to the cloud afterwards', async () => {
    const serve = await startProcess({ name: 'desktop-sim', command: process.execPath, args: [CLI, 'serve'], env });
    serve.child.stdin!.write(`${JSON.stringify({ id: 1, cmd: 'signIn', args: { email: EMAIL, password: PASSWORD } })}\n`);
    expect((await serve.waitForLog({ event: 'result', id: 1 })).json).toMatchObject({ ok: true });
    serve.child.stdin!.write(`${JSON.stringify({ id: 2, cmd: 'connect' })}\n`);
    await serve.waitForLog({ event: 'result', id: 2 });
    const requestsBefore = cloud.requests.length;

    serve.child.stdin!.write(`${JSON.stringify({ id: 3, cmd: 'crash', args: { message: 'boom from the test' } })}\n`);
    const { code } = await serve.waitForExit();
    expect(code).toBe(CRASH_EXIT_CODE);
    const crashed = serve.jsonLines().find((l) => l.event === 'app.crashed');
    expect(crashed?.file).toMatch(new RegExp(`^${join(profile, CRASH_REPORTS_DIR)}/.+\\.json$`));

    const files = await readdir(join(profile, CRASH_REPORTS_DIR));
    expect(files).toHaveLength(1);
    const report = JSON.parse(await readFile(join(profile, CRASH_REPORTS_DIR, files[0]!), 'utf8')) as CrashReport;
    expect(report.error.message).toBe('boom from the test');
    expect(report.error.stack).toContain('commands.ts');
    // the crash produced no request: nothing was uploaded on the way down
    expect(cloud.requests.slice(requestsBefore)).toEqual([]);
    // the bearer in the profile is not copied into the report
    expect(JSON.stringify(report)).not.toMatch(/mcb_/);
  });

  it('refuses arguments it does not know', async () => {
    const serve = await startProcess({ name: 'desktop-sim', command: process.execPath, args: [CLI, 'serve'], env });
    try {
      serve.child.stdin!.write(`${JSON.stringify({ id: 1, cmd: 'crash', args: { when: 'now' } })}\n`);
      expect((await serve.waitForLog({ event: 'result', id: 1 })).json).toMatchObject({
        ok: false,
        error: { code: 'bad_request' },
      });
      expect(serve.running).toBe(true);
    } finally {
      await serve.stop();
    }
  });
});
