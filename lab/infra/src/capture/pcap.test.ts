import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ProcessHandle } from '@multiclaw-lab/kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HostRunner } from '../runner.ts';
import { pcapContains, readPcap, startCapture } from './pcap.ts';

const run = promisify(execFile);

// A throwaway network namespace with only `lo`: the capture never sees the machine's traffic.
const ns = `infracap-${randomBytes(3).toString('hex')}`;
const inNs: HostRunner = {
  spawn: (command, args, options) =>
    spawn('ip', ['netns', 'exec', ns, command, ...args], { env: options.env, stdio: ['ignore', 'pipe', 'pipe'] }),
};

// Server and client in one Node process inside the namespace. The secret goes out in two
// writes with an answer in between, so it is split over two TCP segments.
const TALK = `
const net = require('node:net');
const [port, first, second] = process.argv.slice(1);
const server = net.createServer((s) => s.on('data', (d) => s.write('ack:' + d.length)));
server.listen(Number(port), '127.0.0.1', () => {
  const c = net.connect(Number(port), '127.0.0.1', () => { c.setNoDelay(true); c.write(first); });
  let acks = 0;
  c.on('data', () => { acks++; if (acks === 1) c.write(second); else { c.end(); server.close(); console.log(JSON.stringify({ event: 'done' })); } });
});
`;

describe('packet capture helpers, on the loopback of a throwaway namespace', () => {
  let dir: string;
  let pcap: string;
  const secret = `SECRET-${randomBytes(6).toString('hex')}`;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'infra-pcap-'));
    await chmod(dir, 0o755);
    await run('ip', ['netns', 'add', ns]);
    await run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    const capture = await startCapture(inNs, { interface: 'lo', file: join(dir, 'lo.pcap') });
    const talk = new ProcessHandle(
      'talk',
      inNs.spawn(process.execPath, ['-e', TALK, '4242', secret.slice(0, 9), secret.slice(9)], { env: {} }),
    );
    await talk.waitForLog({ event: 'done' });
    await talk.waitForExit();
    pcap = await capture.finish();
  });

  afterAll(async () => {
    const { stdout } = await run('ip', ['netns', 'pids', ns]).catch(() => ({ stdout: '' }));
    for (const pid of stdout.split('\n').filter(Boolean)) process.kill(Number(pid), 'SIGKILL');
    await run('ip', ['netns', 'del', ns]).catch(() => undefined);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('reads packets with addresses, ports, protocol and payload', async () => {
    const packets = await readPcap(pcap, { filter: 'tcp.port == 4242 && tcp.len > 0', payload: true });
    expect(packets.length).toBeGreaterThanOrEqual(4);
    expect(packets[0]).toMatchObject({ src: '127.0.0.1', dst: '127.0.0.1', dstPort: 4242, proto: 'TCP' });
    expect(Buffer.from(packets[0]!.payloadHex!, 'hex').toString()).toBe(secret.slice(0, 9));
  });

  it('finds plaintext split over two segments, and not what was never sent', async () => {
    expect(await pcapContains(pcap, secret)).toBe(true);
    expect(await pcapContains(pcap, `SECRET-${randomBytes(6).toString('hex')}`)).toBe(false);
  });

  it('leaves payload out unless asked', async () => {
    const packets = await readPcap(pcap, { filter: 'tcp.len > 0' });
    expect(packets.every((p) => p.payloadHex === undefined)).toBe(true);
  });
});
