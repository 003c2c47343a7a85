import { once } from 'node:events';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { createServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLabCA } from '@multiclaw-lab/pki';
import { ProxyAgent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InfraConfigError } from '../addresses.ts';
import { freePort } from '../ports.ts';
import { localRunner } from '../runner.ts';
import { squidConfig } from './config.ts';
import { type SquidHandle, startSquid } from './squid.ts';

async function connectStatus(proxyPort: number, target: string): Promise<number> {
  const req = httpRequest({ host: '127.0.0.1', port: proxyPort, method: 'CONNECT', path: target });
  req.end();
  const [res, socket] = (await once(req, 'connect')) as [{ statusCode: number }, import('node:net').Socket];
  socket.destroy();
  return res.statusCode;
}

describe('squid as the corporate proxy, for real on 127.0.0.1', () => {
  let dir: string;
  let server: Server;
  let serverPort: number;
  let otherPort: number;
  let squid: SquidHandle;
  let proxyUrl: string;
  let caPem: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'infra-squid-'));
    await chmod(dir, 0o755); // squid writes its logs as `proxy`, which must reach the folder
    const ca = await createLabCA();
    caPem = ca.certPem;
    const leaf = await ca.issue(['localhost', '127.0.0.1']);
    server = createServer({ cert: leaf.certPem, key: leaf.keyPem }, (_req, res) => res.end('through the proxy'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    serverPort = (server.address() as { port: number }).port;
    otherPort = await freePort();
    const listenPort = await freePort();
    // The test server stands in for port 443 (binding 443 here could clash with the machine).
    squid = await startSquid(localRunner, {
      listenHost: '127.0.0.1',
      listenPort,
      allowFrom: '127.0.0.1/32',
      connectPorts: [serverPort],
      stateDir: join(dir, 'squid'),
    });
    proxyUrl = `http://127.0.0.1:${listenPort}`;
  });

  afterAll(async () => {
    await squid?.stop();
    server?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('tunnels HTTPS with CONNECT to the allowed port, and logs the tunnel', async () => {
    const agent = new ProxyAgent({ uri: proxyUrl, requestTls: { ca: caPem } });
    const res = await request(`https://127.0.0.1:${serverPort}/`, { dispatcher: agent });
    expect(res.statusCode).toBe(200);
    expect(await res.body.text()).toBe('through the proxy');
    await agent.close();
    const entry = await squid.waitForAccess((e) => e.url === `127.0.0.1:${serverPort}`);
    expect(entry).toMatchObject({ method: 'CONNECT', status: 200, action: 'TCP_TUNNEL', client: '127.0.0.1' });
  });

  it('refuses CONNECT to any other port with 403, and logs the refusal', async () => {
    expect(await connectStatus(Number(new URL(proxyUrl).port), `127.0.0.1:${otherPort}`)).toBe(403);
    const entry = await squid.waitForAccess((e) => e.url === `127.0.0.1:${otherPort}`);
    expect(entry).toMatchObject({ method: 'CONNECT', status: 403, action: 'TCP_DENIED' });
  });

  it('refuses plain HTTP unless asked to allow it', async () => {
    const res = await request(`http://127.0.0.1:${otherPort}/`, {
      dispatcher: new ProxyAgent({ uri: proxyUrl, proxyTunnel: false }),
    });
    await res.body.dump();
    expect(res.statusCode).toBe(403);
  });
});

describe('squidConfig', () => {
  it('allows one source network, CONNECT to 443 only, and keeps every file in the state folder', () => {
    const text = squidConfig({
      listenHost: '198.19.1.1',
      listenPort: 3128,
      allowFrom: '198.19.1.0/24',
      stateDir: '/srv/lab/r1/squid',
    });
    expect(text).toContain('http_port 198.19.1.1:3128\n');
    expect(text).toContain('acl site src 198.19.1.0/24\n');
    expect(text).toContain('acl tls_ports port 443\n');
    expect(text).toContain('http_access deny CONNECT !tls_ports\n');
    expect(text).toContain('http_access deny !CONNECT\n');
    expect(text).toContain('cache deny all\n');
    for (const line of text.split('\n').filter((l) => /^(pid_filename|cache_log|coredump_dir|access_log)/.test(l)))
      expect(line).toContain('/srv/lab/r1/squid');
  });

  it('allows plain GET/POST to port 80 when asked', () => {
    const text = squidConfig({
      listenHost: '198.19.1.1',
      listenPort: 3128,
      allowFrom: '198.19.1.0/24',
      stateDir: '/s',
      allowPlainHttp: true,
    });
    expect(text).toContain('acl safe_ports port 443 80\n');
    expect(text).toContain('http_access allow site plain_methods\n');
  });

  it.each([
    [{ listenHost: '203.0.113.1' }, /outside the lab/],
    [{ allowFrom: '0.0.0.0/0' }, /outside the lab/],
    [{ allowFrom: '198.19.1.0' }, /CIDR/],
    [{ connectPorts: [] }, /at least one port/],
    [{ listenPort: 0 }, /port from 1 to 65535/],
  ])('refuses %j', (change, message) => {
    const make = () =>
      squidConfig({ listenHost: '198.19.1.1', listenPort: 3128, allowFrom: '198.19.1.0/24', stateDir: '/s', ...change });
    expect(make).toThrow(InfraConfigError);
    expect(make).toThrow(message);
  });
});
