import { readdir, readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cleanChildEnv, type ProcessHandle, startProcess } from '@multiclaw-lab/kit';
import { writeTrustStore } from '@multiclaw-lab/pki';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from './testing/helpers.ts';
import { StandInCloud } from './testing/stand-in-cloud.ts';

const CLI = fileURLToPath(new URL('./cli.ts', import.meta.url));
const EMAIL = 'ada@example.test';
const PASSWORD = 'PLANTED-password-cli-93be';

/** The process's own sockets (from /proc/<pid>/fd) and their states (from /proc/<pid>/net/*). */
async function socketsOf(pid: number): Promise<{ listening: string[]; established: number }> {
  const inodes = new Set<string>();
  for (const fd of await readdir(`/proc/${pid}/fd`)) {
    const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
    const m = /^socket:\[(\d+)\]$/.exec(target);
    if (m) inodes.add(m[1]!);
  }
  const listening: string[] = [];
  let established = 0;
  for (const table of ['tcp', 'tcp6', 'udp', 'udp6']) {
    const rows = (await readFile(`/proc/${pid}/net/${table}`, 'utf8')).trim().split('\n').slice(1);
    for (const row of rows) {
      const cols = row.trim().split(/\s+/);
      const [local, state, inode] = [cols[1]!, cols[3]!, cols[9]!];
      if (!inodes.has(inode)) continue;
      // TCP 0A = LISTEN; any UDP socket of ours would be a bound (inbound-capable) port
      if (table.startsWith('udp') || state === '0A') listening.push(`${table} ${local}`);
      if (table.startsWith('tcp') && state === '01') established += 1;
    }
  }
  return { listening, established };
}

describe('CLI and serve mode (a real desktop-sim process)', () => {
  let cloud: StandInCloud;
  let env: NodeJS.ProcessEnv;
  const outputs: string[] = [];

  beforeAll(async () => {
    cloud = await StandInCloud.start({ users: [{ email: EMAIL, password: PASSWORD }] });
    const trust = await tempDir('trust');
    // The child trusts exactly what its "OS trust store" holds: the lab CA and nothing else.
    const bundle = await writeTrustStore(trust, [cloud.ca]);
    env = cleanChildEnv({
      SSL_CERT_FILE: bundle,
      SSL_CERT_DIR: trust,
      DESKTOP_PROFILE_DIR: join(await tempDir('cli'), 'profile'),
      DESKTOP_CLOUD_URL: cloud.url,
      DESKTOP_BACKOFF_BASE_MS: '10',
      DESKTOP_BACKOFF_CAP_MS: '100',
    });
  });
  afterAll(async () => {
    await cloud.close();
  });

  async function runOnce(args: string[]): Promise<{ code: number | null; handle: ProcessHandle }> {
    const handle = await startProcess({
      name: 'desktop-sim',
      command: process.execPath,
      args: [CLI, ...args],
      env,
      waitForReady: false,
    });
    const { code } = await handle.waitForExit();
    outputs.push(...handle.lines.map((l) => l.text));
    return { code, handle };
  }

  it('sign-in keeps the bearer in the profile and prints the user, not the bearer', async () => {
    const { code, handle } = await runOnce(['sign-in', '--email', EMAIL, '--password', PASSWORD]);
    expect(code).toBe(0);
    const result = handle.jsonLines().find((l) => l.event === 'result');
    expect(result).toMatchObject({ cmd: 'sign-in', ok: true, result: { user: { email: EMAIL } } });
    const stored = await readFile(join(env.DESKTOP_PROFILE_DIR!, 'local-storage.json'), 'utf8');
    expect(stored).toContain(cloud.issued.at(-1)!);
  });

  it('status reports signed-in', async () => {
    const { code, handle } = await runOnce(['status']);
    expect(code).toBe(0);
    expect(handle.jsonLines().find((l) => l.event === 'result')).toMatchObject({
      result: { state: 'signed-in', version: '1.0.0' },
    });
  });

  it('serve: connects with the stored bearer, answers commands on stdin, opens no listening socket', async () => {
    const signIns = cloud.count('POST', '/v1/auth/sign-in');
    const serve = await startProcess({ name: 'desktop-sim', command: process.execPath, args: [CLI, 'serve'], env });
    try {
      await serve.waitForLog({ event: 'realtime.connected' });
      expect(cloud.count('POST', '/v1/auth/sign-in')).toBe(signIns);

      const sockets = await socketsOf(serve.pid);
      expect(sockets.established).toBeGreaterThanOrEqual(1); // the check sees the live WSS...
      expect(sockets.listening).toEqual([]); // ...and no inbound port

      serve.child.stdin!.write(`${JSON.stringify({ id: 1, cmd: 'status' })}\n`);
      const status = await serve.waitForLog({ event: 'result', id: 1 });
      expect(status.json).toMatchObject({ ok: true, result: { state: 'connected', signedIn: true } });

      serve.child.stdin!.write(`${JSON.stringify({ id: 2, cmd: 'me' })}\n`);
      expect((await serve.waitForLog({ event: 'result', id: 2 })).json).toMatchObject({
        ok: true,
        result: { user: { email: EMAIL } },
      });

      serve.child.stdin!.write('this is not json\n');
      serve.child.stdin!.write(`${JSON.stringify({ id: 3, cmd: 'fly' })}\n`);
      serve.child.stdin!.write(`${JSON.stringify({ id: 4, cmd: 'signIn', args: { email: 5 } })}\n`);
      expect((await serve.waitForLog({ event: 'result', id: null })).json).toMatchObject({
        ok: false,
        error: { code: 'bad_request' },
      });
      expect((await serve.waitForLog({ event: 'result', id: 3 })).json).toMatchObject({
        ok: false,
        error: { code: 'bad_request' },
      });
      expect((await serve.waitForLog({ event: 'result', id: 4 })).json).toMatchObject({
        ok: false,
        error: { code: 'bad_request' },
      });

      cloud.sendTask('t9', 1);
      expect((await serve.waitForLog({ event: 'realtime.task' })).json).toMatchObject({ taskId: 't9', seq: 1 });

      // a dropped socket comes back by itself, with the measurement in the log
      cloud.latest!.socket.terminate();
      const reconnected = await serve.waitForLog({ event: 'realtime.reconnected' });
      expect(reconnected.json).toMatchObject({ attempts: expect.any(Number), downtimeMs: expect.any(Number) });
    } finally {
      await serve.stop();
      outputs.push(...serve.lines.map((l) => l.text));
    }
    expect(serve.exitCode).toBe(0);
  });

  it('sign-out deletes the bearer from the profile', async () => {
    const bearer = cloud.issued.find((s) => s.startsWith('mcb_'))!;
    const { code } = await runOnce(['sign-out']);
    expect(code).toBe(0);
    expect(await readFile(join(env.DESKTOP_PROFILE_DIR!, 'local-storage.json'), 'utf8')).not.toContain(bearer);
    expect(cloud.bearers.has(bearer)).toBe(false);
  });

  it('refuses the cloud when its certificate is not in the OS trust store', async () => {
    const emptyTrust = await tempDir('no-trust');
    const bundle = await writeTrustStore(emptyTrust, []);
    const handle = await startProcess({
      name: 'desktop-sim',
      command: process.execPath,
      args: [CLI, 'sign-in', '--email', EMAIL, '--password', PASSWORD],
      env: { ...env, SSL_CERT_FILE: bundle, SSL_CERT_DIR: emptyTrust },
      waitForReady: false,
    });
    const { code } = await handle.waitForExit();
    outputs.push(...handle.lines.map((l) => l.text));
    expect(code).toBe(1);
    const failure = handle.jsonLines().find((l) => l.event === 'result');
    expect(JSON.stringify(failure)).toMatch(/UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED|unable to (get|verify)/i);
  });

  it('never prints the password, a bearer or a WSS token', () => {
    const text = outputs.join('\n');
    expect(text).toContain('"event":"ready"');
    expect(text).not.toContain(PASSWORD);
    for (const secret of cloud.issued) expect(text).not.toContain(secret);
  });
});
