import { once } from 'node:events';
import { REALTIME_SUBPROTOCOL, TOKEN_SUBPROTOCOL_PREFIX } from '@multiclaw-lab/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DesktopApp } from './app.ts';
import type { TaskEventFrame } from './realtime.ts';
import { appFor } from './testing/helpers.ts';
import { StandInCloud } from './testing/stand-in-cloud.ts';

const EMAIL = 'ada@example.test';
const PASSWORD = 'PLANTED-password-41d0e2';
const MINT = ['POST', '/v1/realtime/token'] as const;
const SIGN_IN = ['POST', '/v1/auth/sign-in'] as const;

describe('real-time WSS', () => {
  let cloud: StandInCloud;
  const logSources: string[][] = [];

  beforeAll(async () => {
    cloud = await StandInCloud.start({ users: [{ email: EMAIL, password: PASSWORD }] });
  });
  afterAll(async () => {
    await cloud.close();
  });

  /** Signs in with one app, then returns a second app on the same profile: only the stored bearer. */
  async function restartedApp(options: Parameters<typeof appFor>[1] = {}): Promise<{ app: DesktopApp; bearer: string }> {
    const first = await appFor(cloud);
    await first.app.signIn(EMAIL, PASSWORD);
    await first.app.close();
    const second = await appFor(cloud, { ...options, profileDir: first.profileDir });
    // the arrays keep growing while the apps log; they are read at the end of the file
    logSources.push(first.lines, second.lines);
    return { app: second.app, bearer: cloud.issued.at(-1)! };
  }

  it('opens with a fresh token in the subprotocol list and gets welcomed', async () => {
    const { app, bearer } = await restartedApp();
    await using _ = app;
    const mintsBefore = cloud.count(...MINT);
    await app.connect();
    expect(app.state).toBe('connected');
    const latest = cloud.latest!;
    expect(latest.protocols).toEqual([REALTIME_SUBPROTOCOL, TOKEN_SUBPROTOCOL_PREFIX + latest.token]);
    expect(cloud.count(...MINT) - mintsBefore).toBe(1);
    const mint = cloud.requests.filter((r) => r.method === 'POST' && r.path === '/v1/realtime/token').at(-1)!;
    expect(mint.authorization).toBe(`Bearer ${bearer}`);
    expect(mint.body).toEqual({ channel: 'user' });
  });

  it('connect while already connected answers with the open connection, no second socket', async () => {
    const { app } = await restartedApp();
    await using _ = app;
    const first = await app.connect();
    const mints = cloud.count(...MINT);
    const again = await app.connect();
    expect(again.connectionId).toBe(first.connectionId);
    expect(cloud.count(...MINT)).toBe(mints);
  });
  it('after a dropped socket reconnects by itself with the stored bearer and a fresh token, no sign-in', async () => {
    const { app, bearer } = await restartedApp();
    await using _ = app;
    await app.connect();
    const firstToken = cloud.latest!.token;
    const signIns = cloud.count(...SIGN_IN);
    const reconnected = once(app, 'realtime.reconnected');
    const next = cloud.nextConnection();
    cloud.latest!.socket.terminate(); // the client sees 1006, as after a network fault
    const [event] = await reconnected;
    const second = await next;
    expect(second.token).not.toBe(firstToken);
    expect(cloud.count(...SIGN_IN)).toBe(signIns);
    const mints = cloud.requests.filter((r) => r.method === 'POST' && r.path === '/v1/realtime/token').slice(-2);
    expect(mints.map((m) => m.authorization)).toEqual([`Bearer ${bearer}`, `Bearer ${bearer}`]);
    expect(event.attempts).toBeGreaterThanOrEqual(1);
    expect(event.downtimeMs).toBeGreaterThanOrEqual(0);
    expect(app.state).toBe('connected');
  });

  it('close 4001 mints a new token and reconnects', async () => {
    const { app } = await restartedApp();
    await using _ = app;
    await app.connect();
    const firstToken = cloud.latest!.token;
    const mints = cloud.count(...MINT);
    const next = cloud.nextConnection();
    cloud.latest!.socket.close(4001, 'token expired');
    const second = await next;
    expect(second.token).not.toBe(firstToken);
    expect(cloud.count(...MINT) - mints).toBe(1);
    await once(app, 'realtime.reconnected');
  });

  it('close 4003 with a revoked bearer: exactly one mint attempt, then signed-out', async () => {
    const { app, bearer } = await restartedApp();
    await using _ = app;
    await app.connect();
    const mints = cloud.count(...MINT);
    const signedOut = once(app, 'signed-out');
    cloud.bearers.delete(bearer);
    cloud.latest!.socket.close(4003, 'revoked');
    expect(await signedOut).toEqual([{ reason: 'revoked', code: 'unauthenticated' }]);
    await app.disconnect(); // waits for the run loop to have ended: nothing can retry after this
    expect(cloud.count(...MINT) - mints).toBe(1);
    expect(app.state).toBe('signed-out');
    expect(app.signedIn).toBe(false);
  });

  it('a 401 while minting stops at once: one attempt, no loop', async () => {
    const { app, bearer } = await restartedApp();
    await using _ = app;
    cloud.bearers.delete(bearer);
    const mints = cloud.count(...MINT);
    const signedOut = once(app, 'signed-out');
    await expect(app.connect()).rejects.toMatchObject({ status: 401 });
    await signedOut;
    await app.disconnect();
    expect(cloud.count(...MINT) - mints).toBe(1);
    expect(app.state).toBe('signed-out');
  });

  it('exposes event.task frames as events and as an async iterator', async () => {
    const { app } = await restartedApp();
    await using _ = app;
    await app.connect();
    const abort = new AbortController();
    const seen: TaskEventFrame[] = [];
    const iterating = (async () => {
      for await (const frame of app.taskEvents(abort.signal)) {
        seen.push(frame);
        if (seen.length === 2) abort.abort();
      }
    })().catch((err: unknown) => {
      if ((err as Error).name !== 'AbortError') throw err;
    });
    const firstEvent = once(app, 'task');
    cloud.sendTask('t1', 1);
    const [frame] = await firstEvent;
    expect(frame.status).toMatchObject({ taskId: 't1', seq: 1, instanceId: 'i1' });
    cloud.sendTask('t1', 2);
    await iterating;
    expect(seen.map((f) => f.status.seq)).toEqual([1, 2]);
  });

  it('ignores a malformed frame and stays connected', async () => {
    const { app } = await restartedApp();
    await using _ = app;
    await app.connect();
    cloud.latest!.socket.send('{not json');
    cloud.latest!.socket.send(JSON.stringify({ type: 'nope' }));
    const task = once(app, 'task');
    cloud.sendTask('t2', 1);
    await task;
    expect(app.state).toBe('connected');
  });

  it('the logs carry no bearer, WSS token or password', () => {
    const text = logSources.flat().join('\n');
    expect(text).toContain('"event":"realtime.reconnected"');
    expect(text).not.toContain(PASSWORD);
    for (const secret of cloud.issued) expect(text).not.toContain(secret);
  });
});

describe('heartbeat', () => {
  it('detects a silent peer (no pongs) and reconnects', async () => {
    await using cloud = await StandInCloud.start({ autoPong: false, users: [{ email: EMAIL, password: PASSWORD }] });
    const { app, lines } = await appFor(cloud, { heartbeat: { intervalMs: 20, timeoutMs: 50 } });
    await using _ = app;
    await app.signIn(EMAIL, PASSWORD);
    await app.connect();
    const [dropped] = await once(app, 'dropped');
    expect(dropped).toEqual({ code: 4408, reason: 'heartbeat timeout' });
    await once(app, 'realtime.reconnected');
    expect(lines.some((l) => l.includes('"event":"realtime.heartbeat_timeout"'))).toBe(true);
    expect(cloud.sockets.length).toBeGreaterThanOrEqual(2);
  });

  it('keeps a peer that answers pings', async () => {
    await using cloud = await StandInCloud.start({ users: [{ email: EMAIL, password: PASSWORD }] });
    const { app } = await appFor(cloud, { heartbeat: { intervalMs: 10, timeoutMs: 5_000 } });
    await using _ = app;
    await app.signIn(EMAIL, PASSWORD);
    await app.connect();
    // the client sends a ping only after the previous pong came back: ten pings seen by the server
    // mean ten answered rounds, and the connection is still the first one
    let pings = 0;
    await new Promise<void>((resolve) => {
      cloud.latest!.socket.on('ping', () => {
        pings += 1;
        if (pings === 10) resolve();
      });
    });
    expect(app.state).toBe('connected');
    expect(cloud.sockets).toHaveLength(1);
  });
});
