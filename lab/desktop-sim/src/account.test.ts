import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ServiceError } from './errors.ts';
import { appFor } from './testing/helpers.ts';
import { StandInCloud } from './testing/stand-in-cloud.ts';

const EMAIL = 'ada@example.test';
const PASSWORD = 'PLANTED-password-7f3a9c';

describe('sign-in, the bearer in local storage, sign-out', () => {
  let cloud: StandInCloud;
  const allLogs: string[] = [];

  beforeAll(async () => {
    cloud = await StandInCloud.start({ users: [{ email: EMAIL, password: PASSWORD }] });
  });
  afterAll(async () => {
    await cloud.close();
  });

  it('keeps the bearer (and never the password) in <profile>/local-storage.json', async () => {
    const { app, profileDir, lines } = await appFor(cloud);
    await using _ = app;
    await app.signIn(EMAIL, PASSWORD);
    const bearer = cloud.issued.at(-1)!;
    const stored = await readFile(join(profileDir, 'local-storage.json'), 'utf8');
    expect(stored).toContain(bearer);
    expect(stored).not.toContain(PASSWORD);
    expect(app.state).toBe('signed-in');
    expect((await app.me()).user.email).toBe(EMAIL);
    expect(cloud.requests.at(-1)!.authorization).toBe(`Bearer ${bearer}`);
    allLogs.push(...lines);
  });

  it('remembers the sign-in across restarts (a new app on the same profile)', async () => {
    const first = await appFor(cloud);
    await first.app.signIn(EMAIL, PASSWORD);
    await first.app.close();
    const second = await appFor(cloud, { profileDir: first.profileDir });
    await using _ = second.app;
    expect(second.app.state).toBe('signed-in');
    await second.app.me();
    expect(cloud.requests.at(-1)!.authorization).toBe(`Bearer ${cloud.issued.at(-1)}`);
    allLogs.push(...first.lines, ...second.lines);
  });

  it('refuses a wrong password with invalid_credentials and stores nothing', async () => {
    const { app, profileDir, lines } = await appFor(cloud);
    await using _ = app;
    const err = await app.signIn(EMAIL, 'wrong-password').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServiceError);
    expect((err as ServiceError).code).toBe('invalid_credentials');
    expect(app.state).toBe('signed-out');
    const stored = await readFile(join(profileDir, 'local-storage.json'), 'utf8').catch(() => '{}');
    expect(JSON.parse(stored)).toEqual({});
    allLogs.push(...lines);
  });

  it('sign-out revokes the bearer at the cloud and deletes it from local storage', async () => {
    const { app, profileDir, lines } = await appFor(cloud);
    await using _ = app;
    await app.signIn(EMAIL, PASSWORD);
    const bearer = cloud.issued.at(-1)!;
    const signedOut = once(app, 'signed-out');
    expect(await app.signOut()).toEqual({ revokedByCloud: true });
    expect(await signedOut).toEqual([{ reason: 'user' }]);
    expect(cloud.bearers.has(bearer)).toBe(false);
    expect(await readFile(join(profileDir, 'local-storage.json'), 'utf8')).not.toContain(bearer);
    expect(app.state).toBe('signed-out');
    allLogs.push(...lines);
  });

  it('deletes the bearer even when the cloud cannot be reached', async () => {
    const offline = await StandInCloud.start({ ca: cloud.ca, users: [{ email: EMAIL, password: PASSWORD }] });
    const { app, profileDir, lines } = await appFor(offline);
    await using _ = app;
    await app.signIn(EMAIL, PASSWORD);
    const bearer = offline.issued.at(-1)!;
    await offline.close();
    expect(await app.signOut()).toEqual({ revokedByCloud: false });
    expect(await readFile(join(profileDir, 'local-storage.json'), 'utf8')).not.toContain(bearer);
    expect(app.state).toBe('signed-out');
    allLogs.push(...lines);
  });

  it('a 401 on a REST call reports signed-out once and drops the dead bearer', async () => {
    const { app, profileDir, lines } = await appFor(cloud);
    await using _ = app;
    await app.signIn(EMAIL, PASSWORD);
    const bearer = cloud.issued.at(-1)!;
    cloud.bearers.delete(bearer); // revoked elsewhere (password change, removal)
    const before = cloud.count('GET', '/v1/me');
    const signedOut = once(app, 'signed-out');
    const err = await app.me().catch((e: unknown) => e);
    expect((err as ServiceError).status).toBe(401);
    expect(await signedOut).toEqual([{ reason: 'revoked', code: 'unauthenticated' }]);
    expect(cloud.count('GET', '/v1/me') - before).toBe(1);
    expect(app.state).toBe('signed-out');
    expect(await readFile(join(profileDir, 'local-storage.json'), 'utf8')).not.toContain(bearer);
    await expect(app.me()).rejects.toMatchObject({ code: 'not_signed_in' });
    allLogs.push(...lines);
  });

  it('never writes the password or a bearer to the logs', () => {
    const text = allLogs.join('\n');
    expect(allLogs.length).toBeGreaterThan(10);
    expect(text).toContain('"event":"signed-in"');
    expect(text).not.toContain(PASSWORD);
    for (const secret of cloud.issued) expect(text).not.toContain(secret);
  });
});
