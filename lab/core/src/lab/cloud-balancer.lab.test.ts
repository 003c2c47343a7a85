/**
 * Two cloud instances behind HAProxy on a real lab (netns): both healthy, new connections spread
 * over both, one killed and the cloud still answering every request, the killed one restarted
 * and taking connections again. The requests come from the LLM replica's host: nothing else
 * there talks to the cloud, so HAProxy's connection lines from its address are this test's own.
 */
import { readFile } from 'node:fs/promises';
import { addressOf, openFileLimit, PUBLIC_NAMES, readFdLimitFacts, SERVICE_OPEN_FILES } from '@multiclaw-lab/network';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestLab } from '../../test/lab-support.ts';
import { balancerStateText } from './cloud-balancer.ts';
import type { Lab } from './lab.ts';
import { answersTo } from './service.ts';

let lab: Lab;
const CLIENT = 'llm';
const URL = `https://${PUBLIC_NAMES.api}/healthz`;

beforeAll(async () => {
  lab = await startTestLab({ cloudInstances: 2, desktops: 1, cloudDesktops: 0 });
}, 300_000);

afterAll(async () => {
  await lab?.down();
}, 120_000);

/** `count` requests, one connection each, one after another; answers each one's status (0: failed). */
async function requests(count: number): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < count; i++) statuses.push((await lab.httpsProbe(CLIENT, URL, { timeoutMs: 10_000 })).status);
  return statuses;
}

/**
 * The instance (service id) HAProxy sent each of the client host's connections to, since
 * `since`, once `count` of them are logged (HAProxy logs a connection when it has ended, a moment
 * after the client saw its answer).
 */
async function servedBy(since: number, count: number): Promise<string[]> {
  const client = `${addressOf(lab.topology, CLIENT)}:`;
  const handle = lab.service('cloud-lb').handle;
  const ours = () =>
    handle.lines
      .filter((l) => l.receivedAt >= since && l.json?.event === 'lb.connection')
      .filter((l) => String(l.json!.client).startsWith(client));
  await handle.waitForLine(() => ours().length >= count, 10_000, `${count} connection lines`);
  return ours().map((l) => String(l.json!.server));
}

/** Waits for a `GET /healthz` line in one instance's own log, since `since`. */
function healthzIn(id: string, since: number) {
  return lab
    .service(id)
    .handle.waitForLine(
      (l) => l.receivedAt >= since && l.json?.event === 'http.request' && l.json.route === '/healthz',
      10_000,
      `a /healthz request in ${id}'s log`,
    );
}

/** HAProxy's own line saying it took an instance out (DOWN) or put it back (UP), written after `since`. */
function balancerSays(id: string, state: 'UP' | 'DOWN', since: number) {
  return lab.waitForLine(
    'cloud-lb',
    (l) => l.receivedAt >= since && l.text.includes(balancerStateText(id, state)),
    30_000,
    `HAProxy marking ${id} ${state}`,
  );
}

describe('several cloud instances behind HAProxy', () => {
  it('runs each instance as its own service on the loopback of the cloud host, all of them and HAProxy healthy', async () => {
    const status = await lab.status();
    const byId = new Map(status.services.map((s) => [s.id, s]));
    expect(lab.serviceGroup('cloud').map((s) => s.def.id)).toEqual(['cloud', 'cloud-2']);
    for (const [id, port] of [
      ['cloud', 8444],
      ['cloud-2', 8445],
    ] as const) {
      expect(byId.get(id)).toMatchObject({ host: 'cloud', kind: 'cloud', healthy: true });
      expect(byId.get(id)!.detail).toContain(`127.0.0.1:${port}`);
      expect(lab.service(id).def.env).toMatchObject({ CLOUD_NODE: id, CLOUD_HOST: '127.0.0.1', CLOUD_PORT: String(port) });
    }
    expect(byId.get('cloud-lb')).toMatchObject({ host: 'cloud', kind: 'lb', healthy: true });
  });

  it('spreads new connections over both instances', async () => {
    const since = Date.now();
    expect(await requests(8)).toEqual(Array(8).fill(200));
    const served = await servedBy(since, 8);
    expect(served).toHaveLength(8);
    expect(new Set(served)).toEqual(new Set(['cloud', 'cloud-2']));
    // each instance's own log has requests it answered
    await healthzIn('cloud', since);
    await healthzIn('cloud-2', since);
  }, 60_000);

  it('keeps answering when an instance dies, takes it out, and sends it connections again once it is back', async () => {
    const killed = lab.service('cloud-2');
    const killedAt = Date.now();
    await lab.driver.signal(killed.handle.child, 'SIGKILL');
    await killed.handle.waitForExit();
    // at once, before any health check noticed: a refused connection is sent to the other instance
    expect(await requests(6)).toEqual(Array(6).fill(200));
    expect(await servedBy(killedAt, 6)).toEqual(Array(6).fill('cloud'));
    await balancerSays('cloud-2', 'DOWN', killedAt);
    const afterDown = Date.now();
    expect(await requests(4)).toEqual(Array(4).fill(200));
    expect(await servedBy(afterDown, 4)).toEqual(Array(4).fill('cloud'));

    const restartedAt = Date.now();
    await lab.restart('cloud-2');
    await balancerSays('cloud-2', 'UP', restartedAt);
    const afterUp = Date.now();
    expect(await requests(6)).toEqual(Array(6).fill(200));
    expect(await servedBy(afterUp, 6)).toContain('cloud-2');
    await healthzIn('cloud-2', afterUp);
  }, 120_000);

  it('is one TLS endpoint: a session ticket from one instance resumes on the other', async () => {
    // openssl on the cloud host, straight to each instance, in one shell (its temporary file
    // is the session): a full handshake with the first saves its session, then the second is
    // offered it. -ign_eof reads until the server closes (HTTP/1.0 answers, then closes), so the
    // tickets that follow a TLS 1.3 handshake are read before the client leaves
    const ca = lab.hostFiles('cloud').trustBundle;
    const client = (port: number, session: string) =>
      `printf 'GET /healthz HTTP/1.0\\r\\n\\r\\n' | openssl s_client -ign_eof -connect 127.0.0.1:${port} -servername ${PUBLIC_NAMES.api} -CAfile ${ca} -verify_return_error ${session} 2>&1`;
    const script = [
      'session=$(mktemp)',
      client(8444, '-sess_out "$session"'),
      'echo "--- second instance"',
      client(8445, '-sess_in "$session"'),
      'rm -f "$session"',
    ].join('\n');
    const { stdout } = await lab.driver.exec('cloud', 'sh', ['-c', script]);
    const [first, second] = stdout.split('--- second instance');
    expect(first).toMatch(/^New, TLSv1\.3/m);
    expect(second).toMatch(/^Reused, TLSv1\.3/m);
  }, 60_000);

  it('finds a line written by any instance through the group name, and every instance in its history', async () => {
    const second = lab.service('cloud-2').handle;
    const since = Date.now();
    const waiting = lab.waitForLine(
      'cloud',
      (l) => l.receivedAt >= since && l.json?.event === 'http.request' && second.lines.includes(l),
    );
    await requests(4);
    expect((await waiting).json).toMatchObject({ event: 'http.request', route: '/healthz' });
    const answering = new Set(lab.history.filter((s) => answersTo(s.def, 'cloud')).map((s) => s.def.id));
    expect(answering).toEqual(new Set(['cloud', 'cloud-2']));
  }, 60_000);

  it("starts long-lived services with the raised open-file limit, and the driver's limit is really applied", async () => {
    const expected = openFileLimit(SERVICE_OPEN_FILES, readFdLimitFacts());
    for (const id of ['cloud', 'cloud-2', 'cloud-lb', 'postgres']) {
      const limits = await readFile(`/proc/${lab.service(id).handle.pid}/limits`, 'utf8');
      expect([id, /^Max open files\s+(\d+)\s+(\d+)/m.exec(limits)?.slice(1)]).toEqual([id, [String(expected), String(expected)]]);
    }
    // a limit below the machine's shows the driver sets it (above it, a machine without
    // CAP_SYS_RESOURCE gives the same number with or without it)
    const r = await lab.driver.exec('cloud', 'sh', ['-c', 'cat /proc/self/limits'], { openFiles: 4096 });
    expect(/^Max open files\s+(\d+)\s+(\d+)/m.exec(r.stdout)?.slice(1)).toEqual(['4096', '4096']);
  }, 60_000);
});
