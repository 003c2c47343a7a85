import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TcpListener } from './helpers.ts';
import { NetnsDriver } from './netns-driver.ts';
import { runCommand } from './run.ts';
import { listNamespaces } from './teardown.ts';
import { buildTopology } from './topology.ts';

/**
 * What only the netns driver promises, on the default topology with a random prefix: the root
 * namespace is left as it was, names and errors are those of real namespaces, and teardown
 * removes namespaces, /etc/netns entries and veths. The driver contract itself (faults taking
 * effect and healing, captures, clocks, processes) is the conformance suite's
 * (netns-driver.conformance.test.ts).
 */
const prefix = `t${randomBytes(3).toString('hex')}`;
const CLOUD = '198.18.0.10';
const DESKTOP = '198.19.1.11';
const ROUTER_WAN = '198.18.0.201';
const ROUTER_LAN = '198.19.1.1';
const FAIL_FAST = { timeoutMs: 600 };

let stateDir: string;
let driver: NetnsDriver;
let rootLinksBefore: string[];
const listeners: TcpListener[] = [];

async function rootLinks(): Promise<string[]> {
  const r = await runCommand('ip', ['-o', 'link', 'show']);
  return r.stdout
    .split('\n')
    .map((l) => l.split(':')[1]?.trim())
    .filter((n): n is string => !!n)
    .sort();
}

async function listen(host: string, address: string, port: number): Promise<TcpListener> {
  const l = await driver.startTcpListener(host, address, port);
  listeners.push(l);
  return l;
}

beforeAll(async () => {
  rootLinksBefore = await rootLinks();
  stateDir = await mkdtemp(join(tmpdir(), 'netns-test-'));
  driver = await NetnsDriver.up(buildTopology(), { prefix, stateDir });
  await Promise.all([
    listen('cloud', CLOUD, 8443),
    listen('s1-d1', '127.0.0.1', 18789), // a gateway: loopback only
    listen('s1-d1', DESKTOP, 7070), // control: the same kind of listener on the LAN address
  ]);
});

afterAll(async () => {
  await driver?.down();
  await rm(stateDir, { recursive: true, force: true });
  expect((await listNamespaces()).filter((n) => n.startsWith(`${prefix}-`))).toEqual([]);
});

describe('what up() made', () => {
  it('gives every host its addresses, names and folders, and adds nothing to the root namespace', async () => {
    const addr = await driver.exec('s1-rtr', 'ip', ['-4', '-o', 'addr', 'show']);
    expect(addr.stdout).toContain(`${ROUTER_WAN}/24`);
    expect(addr.stdout).toContain(`${ROUTER_LAN}/24`);
    const hosts = await driver.exec('s1-d1', 'getent', ['hosts', 'api.multiclaw.test']);
    expect(hosts.stdout).toContain(CLOUD);
    const resolv = await driver.exec('s1-d1', 'cat', ['/etc/resolv.conf']);
    expect(resolv.stdout).not.toMatch(/nameserver (?!127\.0\.0\.1)/);
    const env = await driver.exec('s1-d1', 'env', [], { env: { LAB_MARK: '1' } });
    expect(env.stdout).toContain(`HOME=${join(stateDir, 'hosts', 's1-d1', 'home')}`);
    expect(env.stdout).toContain('LAB_MARK=1');
    expect(env.stdout).not.toContain('NODE_EXTRA_CA_CERTS'); // nothing inherited from the harness
    expect(existsSync(join(driver.hostDir('s1-d1'), 'trust', 'ca-certificates.crt'))).toBe(true);
    // no IPv6 link-local or any address outside the plan on lab interfaces
    const v6 = await driver.exec('s1-d1', 'ip', ['-6', '-o', 'addr', 'show', 'scope', 'link']);
    expect(v6.stdout.trim()).toBe('');
    expect(await rootLinks()).toEqual(rootLinksBefore);
  });

  it('refuses a second up() with the same prefix and names lab down', async () => {
    await expect(NetnsDriver.up(buildTopology(), { prefix, stateDir })).rejects.toMatchObject({
      code: 'LAB_ALREADY_UP',
      message: expect.stringContaining('lab down'),
    });
  });

  it('runs programs as another user with exactly the given environment', async () => {
    const r = await driver.exec('db', 'id', ['-un'], { user: 'postgres', env: { PATH: '/usr/bin:/bin' } });
    expect(r.stdout.trim()).toBe('postgres');
  });
});

describe('reachability, as namespaces make it', () => {
  it('a site host has no route to the internet side of another network; the router firewall answers nothing', async () => {
    expect(await driver.probeTcp('cloud', DESKTOP, 7070, FAIL_FAST)).toEqual({ ok: false, error: 'ENETUNREACH' });
    // give the cloud a route through the router: now only the router's firewall stands in the way
    await driver.exec('cloud', 'ip', ['route', 'add', '198.19.1.0/24', 'via', ROUTER_WAN]);
    try {
      expect(await driver.probeTcp('cloud', DESKTOP, 7070, FAIL_FAST)).toEqual({ ok: false, error: 'ETIMEDOUT' });
      expect(await driver.probeTcp('cloud', ROUTER_WAN, 7070, FAIL_FAST)).toEqual({ ok: false, error: 'ETIMEDOUT' });
    } finally {
      await driver.exec('cloud', 'ip', ['route', 'del', '198.19.1.0/24']);
    }
  });

  it('a refused loopback port answers ECONNREFUSED from the neighbour (the packet got there and was refused)', async () => {
    expect(await driver.probeTcp('s1-nb', DESKTOP, 18789)).toEqual({ ok: false, error: 'ECONNREFUSED' });
  });

  it('no host reaches any address of the root namespace', async () => {
    const r = await runCommand('ip', ['-4', '-j', 'addr', 'show']);
    const rootAddresses = (JSON.parse(r.stdout) as { addr_info: { local: string }[] }[])
      .flatMap((l) => l.addr_info.map((a) => a.local))
      .filter((a) => !a.startsWith('127.'));
    expect(rootAddresses.length).toBeGreaterThan(0);
    const probes = driver.topology.hosts.flatMap((h) =>
      rootAddresses.map(async (a) => [h.id, a, await driver.probeTcp(h.id, a, 22, FAIL_FAST)] as const),
    );
    for (const [host, address, result] of await Promise.all(probes)) {
      // ECONNREFUSED would mean the packet got there and was answered
      expect(result.ok, `${host} → ${address}`).toBe(false);
      expect(['ENETUNREACH', 'EHOSTUNREACH'], `${host} → ${address}: ${result.error}`).toContain(result.error);
    }
  });

  it('a blocked port times out rather than being refused (packets are dropped, not rejected)', async () => {
    const fault = await driver.blockPort('cloud', 8443, 'tcp');
    expect(await driver.probeTcp('s1-d1', CLOUD, 8443, FAIL_FAST)).toEqual({ ok: false, error: 'ETIMEDOUT' });
    await fault.heal();
    expect(await driver.probeTcp('s1-d1', CLOUD, 8443)).toEqual({ ok: true });
  });
});

describe('down', () => {
  it('leaves no namespace, /etc/netns entry, veth, process or state folder', async () => {
    const pids = await driver.pids();
    expect(pids).toEqual(expect.arrayContaining(listeners.map((l) => l.pid)));
    await driver.down();
    expect((await listNamespaces()).filter((n) => n.startsWith(`${prefix}-`))).toEqual([]);
    expect((await readdir('/etc/netns').catch(() => [])).filter((n) => n.startsWith(`${prefix}-`))).toEqual([]);
    expect(await rootLinks()).toEqual(rootLinksBefore);
    for (const pid of pids) expect(existsSync(`/proc/${pid}`), `pid ${pid}`).toBe(false);
    expect(existsSync(join(stateDir, 'hosts'))).toBe(false);
    expect(existsSync(join(stateDir, 'run'))).toBe(false);
    expect(() => driver.spawn('s1-d1', 'true', [])).toThrow(/not up/);
  });
});
