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
 * The netns driver for real: the default topology in network namespaces with a random prefix,
 * plain TCP listeners and UDP echo servers standing in for services. Each fault is shown to
 * take effect (a probe fails while it is on) and to heal (the same probe passes after).
 */
const prefix = `t${randomBytes(3).toString('hex')}`;
const CLOUD = '198.18.0.10';
const RELAY = '198.18.0.20';
const CDN = '198.18.0.30';
const DB = '198.18.1.20';
const DESKTOP = '198.19.1.11';
const ROUTER_WAN = '198.18.0.201';
const ROUTER_LAN = '198.19.1.1';
const FAIL_FAST = { timeoutMs: 600 };

let stateDir: string;
let driver: NetnsDriver;
let rootLinksBefore: string[];
let cloudListener: TcpListener;
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
  [cloudListener] = await Promise.all([
    listen('cloud', CLOUD, 8443),
    listen('cloud', CLOUD, 9000),
    listen('cdn', CDN, 8443),
    listen('db', DB, 5432),
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

describe('reachability', () => {
  it('a desktop reaches an internet host through the router, which masquerades it', async () => {
    const cloud = cloudListener;
    expect(await driver.probeTcp('s1-d1', CLOUD, 8443)).toEqual({ ok: true });
    expect(await driver.probeTcp('s1-d1', 'api.multiclaw.test', 8443)).toEqual({ ok: true }); // by name, from the host's hosts file
    const peer = await cloud.waitForConnection();
    expect(peer.remoteAddress).toBe(ROUTER_WAN);
    expect(cloud.accepted().some((p) => p.remoteAddress === DESKTOP)).toBe(false);
  });

  it('the neighbour cannot reach a loopback listener on the desktop, but can reach one on its LAN address', async () => {
    expect(await driver.probeTcp('s1-d1', '127.0.0.1', 18789)).toEqual({ ok: true });
    expect(await driver.probeTcp('s1-nb', DESKTOP, 18789)).toEqual({ ok: false, error: 'ECONNREFUSED' });
    expect(await driver.probeTcp('s1-nb', DESKTOP, 7070)).toEqual({ ok: true });
  });

  it('only the cloud reaches the database', async () => {
    expect(await driver.probeTcp('cloud', DB, 5432)).toEqual({ ok: true });
    for (const host of ['s1-d1', 'relay', 'cd1', 's1-rtr']) {
      expect(await driver.probeTcp(host, DB, 5432, FAIL_FAST), host).toMatchObject({ ok: false });
    }
  });

  it('internet hosts cannot open connections into a site, even with a route to it', async () => {
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
});

describe('firewall controls take effect and heal', () => {
  it('blockUdp on a site and on a host', async () => {
    await using echo = await driver.startUdpEcho('relay', 3478);
    expect(await driver.probeUdp('s1-d1', RELAY, 3478)).toEqual({ ok: true });
    expect((await echo.waitForDatagram()).remoteAddress).toBe(ROUTER_WAN);

    const site = await driver.blockUdp({ site: 's1' });
    expect(await driver.probeUdp('s1-d1', RELAY, 3478, FAIL_FAST)).toMatchObject({ ok: false });
    expect(await driver.probeUdp('cd1', RELAY, 3478)).toEqual({ ok: true }); // only the site is affected
    expect(await driver.probeTcp('s1-d1', CLOUD, 8443)).toEqual({ ok: true }); // only UDP
    await site.heal();
    await site.heal(); // idempotent
    expect(await driver.probeUdp('s1-d1', RELAY, 3478)).toEqual({ ok: true });

    const host = await driver.blockUdp({ host: 'relay' });
    expect(await driver.probeUdp('cd1', RELAY, 3478, FAIL_FAST)).toMatchObject({ ok: false });
    await host.heal();
    expect(await driver.probeUdp('cd1', RELAY, 3478)).toEqual({ ok: true });
  });

  it('blockPort blocks one port of a host and nothing else', async () => {
    const fault = await driver.blockPort('cloud', 8443, 'tcp');
    expect(await driver.probeTcp('s1-d1', CLOUD, 8443, FAIL_FAST)).toEqual({ ok: false, error: 'ETIMEDOUT' });
    expect(await driver.probeTcp('s1-d1', CLOUD, 9000)).toEqual({ ok: true });
    await fault.heal();
    expect(await driver.probeTcp('s1-d1', CLOUD, 8443)).toEqual({ ok: true });
  });

  it('blockPort on a router blocks that port for the whole site', async () => {
    const fault = await driver.blockPort('s1-rtr', 9000, 'tcp');
    expect(await driver.probeTcp('s1-d1', CLOUD, 9000, FAIL_FAST)).toMatchObject({ ok: false });
    expect(await driver.probeTcp('s1-d1', CLOUD, 8443)).toEqual({ ok: true });
    await fault.heal();
    expect(await driver.probeTcp('s1-d1', CLOUD, 9000)).toEqual({ ok: true });
  });

  it('dropShare drops that share of packets', async () => {
    const all = await driver.dropShare({ site: 's1' }, 100);
    expect(await driver.probeTcp('s1-d1', CLOUD, 8443, FAIL_FAST)).toEqual({ ok: false, error: 'ETIMEDOUT' });
    await all.heal();
    expect(await driver.probeTcp('s1-d1', CLOUD, 8443)).toEqual({ ok: true });

    const none = await driver.dropShare({ host: 'cloud' }, 0);
    expect(await driver.probeTcp('s1-d1', CLOUD, 8443)).toEqual({ ok: true });
    await none.heal();
    await expect(driver.dropShare({ site: 's1' }, 101)).rejects.toThrow(/0–100/);
  });

  it('cutSite cuts the internet link; the LAN still works', async () => {
    const fault = await driver.cutSite('s1');
    expect(await driver.probeTcp('s1-d1', CLOUD, 8443, FAIL_FAST)).toMatchObject({ ok: false });
    expect(await driver.probeTcp('s1-rtr', CLOUD, 8443, FAIL_FAST)).toMatchObject({ ok: false });
    expect(await driver.probeTcp('s1-nb', DESKTOP, 7070)).toEqual({ ok: true });
    expect(driver.activeFaults.map((f) => f.description)).toEqual(['cut site s1 off the internet']);
    await fault.heal();
    expect(driver.activeFaults).toEqual([]);
    expect(await driver.probeTcp('s1-d1', CLOUD, 8443)).toEqual({ ok: true });
  });

  it('proxyOnly lets the LAN reach only the router and the allowed destinations', async () => {
    await using proxy = await driver.startTcpListener('s1-rtr', ROUTER_LAN, 3128);
    const fault = await driver.proxyOnly('s1', { allow: [{ address: CLOUD, port: 8443 }] });
    expect(await driver.probeTcp('s1-d1', CDN, 8443, FAIL_FAST)).toEqual({ ok: false, error: 'ETIMEDOUT' });
    expect(await driver.probeTcp('s1-d1', CLOUD, 8443)).toEqual({ ok: true });
    expect(await driver.probeTcp('s1-d1', ROUTER_LAN, proxy.port)).toEqual({ ok: true });
    expect(await driver.probeTcp('s1-rtr', CDN, 8443)).toEqual({ ok: true }); // the proxy itself goes out
    await fault.heal();
    expect(await driver.probeTcp('s1-d1', CDN, 8443)).toEqual({ ok: true });
  });

  it('redirectTcp steers site traffic into a listener on the router, several at once', async () => {
    await using toCloud = await driver.startTcpListener('s1-rtr', ROUTER_LAN, 0);
    await using toCdn = await driver.startTcpListener('s1-rtr', ROUTER_LAN, 0);
    const a = await driver.redirectTcp('s1', { toAddress: CLOUD, toPort: 443, localPort: toCloud.port });
    const b = await driver.redirectTcp('s1', { toAddress: CDN, toPort: 443, localPort: toCdn.port });
    expect(await driver.probeTcp('s1-d1', CLOUD, 443)).toEqual({ ok: true }); // nothing listens on the cloud's 443
    expect((await toCloud.waitForConnection()).remoteAddress).toBe(DESKTOP);
    expect(await driver.probeTcp('s1-d1', CDN, 443)).toEqual({ ok: true });
    expect((await toCdn.waitForConnection()).remoteAddress).toBe(DESKTOP);
    expect(toCdn.accepted()).toHaveLength(1);
    await a.heal();
    expect(await driver.probeTcp('s1-d1', CLOUD, 443)).toEqual({ ok: false, error: 'ECONNREFUSED' });
    expect(await driver.probeTcp('s1-d1', CDN, 443)).toEqual({ ok: true }); // the other one stays
    await b.heal();
    expect(await driver.probeTcp('s1-d1', CDN, 443)).toEqual({ ok: false, error: 'ECONNREFUSED' });
  });
});

describe('capture', () => {
  it('records the packets of a probe on the router WAN, after NAT', async () => {
    const file = join(stateDir, 'wan.pcap');
    const capture = await driver.capture('s1-rtr', 'wan', { filter: 'tcp port 9000', file });
    expect(await driver.probeTcp('s1-d1', CLOUD, 9000)).toEqual({ ok: true });
    expect(await capture.stop()).toBe(file);
    const read = await runCommand('tcpdump', ['-n', '-r', file]);
    expect(read.stdout).toContain(`${ROUTER_WAN}.`);
    expect(read.stdout).toContain(`${CLOUD}.9000`);
    expect(read.stdout).not.toContain(DESKTOP);
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
