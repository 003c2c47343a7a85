import { existsSync } from 'node:fs';
import { appendFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createLogger } from '@multiclaw-lab/kit';
import { afterAll, describe, expect, it } from 'vitest';
import { labdRequest, labdStreamLines } from './client.ts';
import type { ExecOutcome, LabStatus } from './lab-api.ts';
import { runLabd } from './labd.ts';
import { parseLoad, parseRun } from './labd-api.ts';
import { fakeLabModule } from './testing/fake-lab.ts';

const dir = await mkdtemp(join(tmpdir(), 'mclab-labd-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

function capturingLogger() {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      for (const l of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(l));
      cb();
    },
  });
  return { lines, logger: createLogger({ service: 'labd', destination }) };
}

async function startFakeLabd(name: string, mode = 'ok', driver?: 'netns' | 'docker') {
  const module = fakeLabModule(mode);
  const socket = join(dir, `${name}.sock`);
  const { lines, logger } = capturingLogger();
  const exits: number[] = [];
  const handle = await runLabd({
    prefix: 'tcli',
    labStateDir: join(dir, name),
    socket,
    ...(driver ? { driver } : {}),
    labModule: module,
    logger,
    onExit: (c) => exits.push(c),
  });
  return { module, socket, lines, exits, handle };
}

describe('labd', () => {
  it('serves status, exec and logs over its unix socket, and takes the lab down on POST /down', async () => {
    const labd = await startFakeLabd('roundtrip');
    expect(labd.module.calls.started[0]).toMatchObject({ prefix: 'tcli', stateDir: join(dir, 'roundtrip') });
    expect(labd.lines.filter((l) => l.event === 'progress').map((l) => l.phase)).toEqual(['network', 'services']);
    expect(labd.lines.find((l) => l.event === 'ready')).toMatchObject({ healthy: true, hosts: 2, services: 2, unhealthy: [] });

    const status = await labdRequest<LabStatus>(labd.socket, 'GET', '/status');
    expect(status.status).toBe(200);
    expect(status.body.hosts.map((h) => h.namespace)).toEqual(['tcli-cloud', 'tcli-s1-d1']);

    const exec = await labdRequest<ExecOutcome>(labd.socket, 'POST', '/exec', { host: 's1-d1', argv: ['ip', 'addr'] });
    expect(exec.body).toEqual({ code: 0, stdout: 'ran ip addr on s1-d1\n', stderr: '' });

    const services = await labdRequest<{ services: string[] }>(labd.socket, 'GET', '/services');
    expect(services.body).toEqual({ services: ['cloud', 's1-d1-gateway'] });

    const lines: string[] = [];
    const logs = await labdStreamLines(labd.socket, '/logs/cloud?lines=10', (l) => lines.push(l));
    expect(logs.status).toBe(200);
    expect(lines.map((l) => JSON.parse(l))).toEqual([{ service: 'cloud', event: 'ready' }]);

    const down = await labdRequest(labd.socket, 'POST', '/down');
    expect(down.body).toEqual({ down: true, prefix: 'tcli' });
    await labd.handle.stop(); // the same shutdown POST /down started; waits for it
    expect(labd.module.calls.downs).toBe(1);
    expect(labd.exits).toEqual([0]);
    expect(existsSync(labd.socket)).toBe(false);
  });

  it('follows a log: lines appended later arrive on the open stream', async () => {
    const labd = await startFakeLabd('follow');
    const stop = new AbortController();
    const seen: string[] = [];
    let resolveSecond: () => void;
    const second = new Promise<void>((resolve) => {
      resolveSecond = resolve;
    });
    const stream = labdStreamLines(
      labd.socket,
      '/logs/cloud?lines=5&follow=1',
      (line) => {
        seen.push(line);
        if (seen.length === 1) void appendFile(join(dir, 'follow', 'logs', 'cloud.log'), '{"event":"later"}\n');
        if (seen.length === 2) resolveSecond();
      },
      stop.signal,
    );
    await second;
    stop.abort();
    await stream;
    expect(seen.map((l) => JSON.parse(l).event)).toEqual(['ready', 'later']);
    await labd.handle.stop();
  });

  it('refuses bad requests with an ErrorBody and stays up', async () => {
    const labd = await startFakeLabd('bad');
    const noJson = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      import('node:http').then(({ request }) => {
        const req = request({ socketPath: labd.socket, method: 'POST', path: '/exec' }, (res) => {
          let body = '';
          res.on('data', (c) => (body += c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on('error', reject);
        req.end('{not json');
      });
    });
    expect(noJson.status).toBe(400);
    expect(JSON.parse(noJson.body).error.code).toBe('bad_request');

    const badArgv = await labdRequest<{ error: { issues: Array<{ path: string }> } }>(labd.socket, 'POST', '/exec', {
      host: 's1-d1',
      argv: 'ls',
    });
    expect(badArgv.status).toBe(400);
    expect(badArgv.body.error.issues.map((i) => i.path)).toEqual(['argv']);

    const unknownHost = await labdRequest<{ error: { message: string } }>(labd.socket, 'POST', '/exec', {
      host: 'nope',
      argv: ['ls'],
    });
    expect(unknownHost.status).toBe(400);
    expect(unknownHost.body.error.message).toContain('no host "nope"');

    const unknownRoute = await labdRequest<{ error: { code: string } }>(labd.socket, 'GET', '/secrets');
    expect(unknownRoute).toMatchObject({ status: 404, body: { error: { code: 'not_found' } } });

    const unknownService = await labdStreamLines(labd.socket, '/logs/ghost', () => undefined);
    expect(unknownService.status).toBe(404);
    expect(unknownService.error).toContain('no service "ghost"; services: cloud, s1-d1-gateway');

    expect((await labdRequest(labd.socket, 'GET', '/status')).status).toBe(200);
    await labd.handle.stop();
  });

  it('makes the lab with the driver it was started with (netns when none is named)', async () => {
    const docker = await startFakeLabd('docker', 'ok', 'docker');
    expect(docker.lines.find((l) => l.event === 'labd.started')).toMatchObject({ driver: 'docker' });
    expect((await labdRequest<LabStatus>(docker.socket, 'GET', '/status')).body.driver).toBe('docker');
    await docker.handle.stop();
    const netns = await startFakeLabd('default');
    expect(netns.module.calls.started[0]?.driver).toBeTypeOf('function');
    expect((await labdRequest<LabStatus>(netns.socket, 'GET', '/status')).body.driver).toBe('netns');
    await netns.handle.stop();
  });

  it('reports a lab that fails to start and exits 1 without serving', async () => {
    const labd = await startFakeLabd('failing', 'fail');
    expect(labd.lines.find((l) => l.event === 'up.failed')).toMatchObject({
      error: 'nft: could not process rule: No such file or directory',
    });
    expect(labd.exits).toEqual([1]);
    expect(existsSync(labd.socket)).toBe(false);
  });

  it('says which services are unhealthy when the lab comes up sick', async () => {
    const labd = await startFakeLabd('sick', 'unhealthy');
    expect(labd.lines.find((l) => l.event === 'ready')).toMatchObject({
      healthy: false,
      unhealthy: [{ id: 's1-d1-gateway', detail: 'not connected to the cloud' }],
    });
    await labd.handle.stop();
  });

  it('takes a load request and answers a malformed one with a bad request', () => {
    expect(parseLoad({ profile: 'storm', clients: 50, thresholds: ['settle_ms < 9000'], reportsDir: '/tmp/r' })).toEqual({
      profile: 'storm',
      clients: 50,
      thresholds: ['settle_ms < 9000'],
      reportsDir: '/tmp/r',
    });
    expect(parseLoad({ profile: 'sessions' })).toEqual({ profile: 'sessions', thresholds: [] });
    expect(parseLoad({ profile: 'storm', fault: 'instance' })).toEqual({ profile: 'storm', fault: 'instance', thresholds: [] });
    expect(parseLoad({ profile: 'storm', tlsResumption: true })).toEqual({
      profile: 'storm',
      tlsResumption: true,
      thresholds: [],
    });
    for (const body of [
      {},
      { profile: 'Storm!' },
      { profile: 'storm', clients: -1 },
      { profile: 'storm', durationS: 1.5 },
      { profile: 'storm', thresholds: [1] },
      { profile: 'storm', reportsDir: 'r' },
      { profile: 'storm', fault: 7 },
      { profile: 'storm', fault: 'Power Cut' },
      { profile: 'storm', tlsResumption: 'yes' },
    ])
      expect(() => parseLoad(body), JSON.stringify(body)).toThrow(expect.objectContaining({ code: 'bad_request' }));
  });

  it('takes a run request with an absolute reports folder and refuses a relative one', () => {
    expect(parseRun({ ids: ['S01'], reportsDir: '/tmp/reports' })).toEqual({
      ids: ['S01'],
      tags: [],
      reportsDir: '/tmp/reports',
    });
    expect(() => parseRun({ reportsDir: 'reports' })).toThrow(/reportsDir is an absolute path/);
    expect(() => parseRun({ seed: -1 })).toThrow(/seed is a positive whole number/);
    expect(parseRun({ shard: { index: 2, total: 3 } })).toEqual({ ids: [], tags: [], shard: { index: 2, total: 3 } });
    for (const shard of [
      { index: 0, total: 3 },
      { index: 4, total: 3 },
      { index: 1, total: 0 },
      { index: '1', total: 3 },
      '1/3',
      null,
    ]) {
      expect(() => parseRun({ shard }), JSON.stringify(shard)).toThrow(/shard is \{index, total\}/);
    }
  });
});
