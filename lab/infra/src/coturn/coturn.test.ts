import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '@multiclaw-lab/kit';
import { createLabCA } from '@multiclaw-lab/pki';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../ports.ts';
import { localRunner } from '../runner.ts';
import { turnAllocate } from './allocate.ts';
import { runTurnClient } from './client.ts';
import { type CoturnHandle, startCoturn } from './coturn.ts';
import { turnCredentials } from './credentials.ts';

const SECRET = 'coturn-test-shared-secret';
const RELAY = { min: 40000, max: 44999 };
const inRelayRange = (p: number) => p >= RELAY.min && p <= RELAY.max;
/** loopback stands in for the operator's own hosts: a range and a single address */
const DENIED = ['127.0.0.2-127.0.0.3', '127.0.0.9'];

/** coturn on loopback with a certificate from `ca`, its files in `dir`; `options` adds to the defaults */
async function startTestCoturn(
  ca: Awaited<ReturnType<typeof createLabCA>>,
  dir: string,
  options: Partial<Parameters<typeof startCoturn>[1]>,
): Promise<CoturnHandle> {
  const leaf = await ca.issue(['localhost', '127.0.0.1']);
  await writeFile(join(dir, 'cert.pem'), leaf.certPem);
  await writeFile(join(dir, 'key.pem'), leaf.keyPem, { mode: 0o600 });
  return startCoturn(localRunner, {
    listeningIp: '127.0.0.1',
    listeningPort: await freePort('127.0.0.1', inRelayRange),
    tlsListeningPort: await freePort('127.0.0.1', inRelayRange),
    certFile: join(dir, 'cert.pem'),
    keyFile: join(dir, 'key.pem'),
    staticAuthSecret: SECRET,
    realm: 'multiclaw.test',
    relayPorts: RELAY,
    stateDir: dir,
    ...options,
  });
}

describe('coturn, for real on 127.0.0.1', () => {
  let dir: string;
  let coturn: CoturnHandle;
  let caPem: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'infra-coturn-'));
    const ca = await createLabCA();
    caPem = ca.certPem;
    coturn = await startTestCoturn(ca, dir, {
      allowLoopbackPeers: true, // turnutils_uclient's two relays talk to each other on loopback
      deniedPeers: DENIED,
    });
  });

  afterAll(async () => {
    await coturn?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('is ready, with its pid file in the state folder and not in /var/run', async () => {
    expect(coturn.running).toBe(true);
    expect(coturn.logs().join('\n')).toContain(`pid file created: ${dir}/turnserver.pid`);
  });

  it('relays over UDP with time-limited credentials computed like the cloud does', async () => {
    const { username, credential } = turnCredentials(SECRET, 'alice-udp');
    const result = await runTurnClient(localRunner, {
      server: '127.0.0.1',
      port: coturn.config.listeningPort,
      transport: 'udp',
      username,
      credential,
    });
    expect(result.code, result.output).toBe(0);
    expect(result.output).toMatch(/tot_recv_msgs=[1-9]/);
    const allocation = await coturn.waitForEvent('turn.allocation', (e) => e.user === username);
    expect(allocation.transport).toBe('plain');
  });

  it('relays over TCP on the TLS port (plain TURN on 443, transport=tcp)', async () => {
    const { username, credential } = turnCredentials(SECRET, 'alice-tcp');
    const result = await runTurnClient(localRunner, {
      server: '127.0.0.1',
      port: coturn.config.tlsListeningPort,
      transport: 'tcp',
      username,
      credential,
    });
    expect(result.code, result.output).toBe(0);
    await coturn.waitForEvent('turn.allocation', (e) => e.user === username);
  });

  it('allocates over TLS (turns:) on the TLS port, TLS 1.2 or newer, checked against the lab CA', async () => {
    const { username, credential } = turnCredentials(SECRET, 'alice-tls');
    const result = await turnAllocate({
      host: '127.0.0.1',
      port: coturn.config.tlsListeningPort,
      transport: 'tls',
      username,
      credential,
      ca: caPem,
    });
    expect(result).toMatchObject({ ok: true, relayed: expect.stringMatching(/^127\.0\.0\.1:4\d{4}$/) });
    const session = await coturn.waitForEvent('turn.session', (e) => e.user === username);
    expect(session.tls).toBe(true);
    expect(session.tlsVersion).toMatch(/^TLSv1\.[23]$/);
    const allocation = await coturn.waitForEvent('turn.allocation', (e) => e.user === username);
    expect(allocation.transport).toBe('tls');
  });

  it('a TLS client that does not trust the relay certificate gets no allocation', async () => {
    const other = await createLabCA();
    const { username, credential } = turnCredentials(SECRET, 'alice-untrusted');
    const result = await turnAllocate({
      host: '127.0.0.1',
      port: coturn.config.tlsListeningPort,
      transport: 'tls',
      username,
      credential,
      ca: other.certPem,
    });
    expect(result).toEqual({ ok: false, error: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
  });

  it('the Node probe allocates over UDP and TCP too, and reports a refused credential as 401', async () => {
    const { username, credential } = turnCredentials(SECRET, 'probe');
    for (const transport of ['udp', 'tcp'] as const) {
      expect(
        await turnAllocate({ host: '127.0.0.1', port: coturn.config.listeningPort, transport, username, credential }),
      ).toMatchObject({ ok: true });
    }
    const wrong = turnCredentials('wrong-secret', 'probe');
    expect(
      await turnAllocate({ host: '127.0.0.1', port: coturn.config.listeningPort, transport: 'udp', ...wrong }),
    ).toMatchObject({ ok: false, status: 401 });
  });

  it('refuses an expired credential', async () => {
    const clock = new ManualClock(Date.now() - 2 * 3600_000); // minted two hours ago, valid for one
    const { username, credential } = turnCredentials(SECRET, 'alice-expired', { clock });
    const result = await runTurnClient(localRunner, {
      server: '127.0.0.1',
      port: coturn.config.listeningPort,
      transport: 'udp',
      username,
      credential,
    });
    expect(result.code).not.toBe(0);
    expect(result.output).toContain('Cannot complete Allocation');
    expect(coturn.events.some((e) => e.event === 'turn.allocation' && e.user === username)).toBe(false);
  });

  it('refuses a permission to a denied peer (a range or one address) with 403, and grants one to any other peer', async () => {
    const { username, credential } = turnCredentials(SECRET, 'alice-peers');
    const result = await turnAllocate({
      host: '127.0.0.1',
      port: coturn.config.listeningPort,
      transport: 'udp',
      username,
      credential,
      permissions: ['127.0.0.2', '127.0.0.3', '127.0.0.9', '127.0.0.1', '127.0.0.4'],
    });
    expect(result).toMatchObject({ ok: true });
    const statuses = result.ok ? Object.fromEntries(result.permissions.map((p) => [p.peer, p.status])) : {};
    expect(statuses).toEqual({ '127.0.0.2': 403, '127.0.0.3': 403, '127.0.0.9': 403, '127.0.0.1': 200, '127.0.0.4': 200 });
  });

  it('refuses a credential made with the wrong secret, and says so in an event', async () => {
    const { username, credential } = turnCredentials('not-the-secret', 'mallory');
    const result = await runTurnClient(localRunner, {
      server: '127.0.0.1',
      port: coturn.config.listeningPort,
      transport: 'udp',
      username,
      credential,
    });
    expect(result.code).not.toBe(0);
    expect(result.output).toContain('Cannot complete Allocation');
    const failed = await coturn.waitForEvent('turn.auth_failed', (e) => e.user === username);
    expect(failed.status).toBe(401);
    expect(coturn.events.some((e) => e.event === 'turn.allocation' && e.user === username)).toBe(false);
  });
});

describe('coturn with TLS off (tls: false)', () => {
  let dir: string;
  let coturn: CoturnHandle;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'infra-coturn-notls-'));
    coturn = await startTestCoturn(await createLabCA(), dir, { tls: false });
  });

  afterAll(async () => {
    await coturn?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('nothing listens on the TLS port any more, neither TLS nor plain TCP; UDP on the plain port still allocates', async () => {
    const { username, credential } = turnCredentials(SECRET, 'notls');
    const on = (port: number, transport: 'udp' | 'tcp' | 'tls') =>
      turnAllocate({ host: '127.0.0.1', port, transport, username, credential, timeoutMs: 2_000 });
    expect(await on(coturn.config.tlsListeningPort, 'tls')).toEqual({ ok: false, error: 'ECONNREFUSED' });
    expect(await on(coturn.config.tlsListeningPort, 'tcp')).toEqual({ ok: false, error: 'ECONNREFUSED' });
    expect(await on(coturn.config.listeningPort, 'udp')).toMatchObject({ ok: true });
  });
});
