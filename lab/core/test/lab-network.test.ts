import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { listNamespaces } from '@multiclaw-lab/network';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lab } from '../src/lab/lab.ts';
import { startTestLab } from './lab-support.ts';

/**
 * The lab on one machine, with the real reference MultiClaw in it: who can reach whom, and the
 * controls that are not about TCP links (those are in lab-links.test.ts). Network security:
 * "The local OpenClaw gateway listens only on localhost (127.0.0.1), so other devices on your
 * network cannot reach it." and "MultiClaw Cloud does not initiate connections back to your
 * machine."
 */
let lab: Lab;
const FAST = { timeoutMs: 1500 };
// End to end from a site: a bare TCP connect to 443 would be accepted by the site link's
// toxiproxy on the router, so reachability of the cloud is checked with a real HTTPS request.
const API = 'https://api.multiclaw.test/healthz';
const CDN = 'https://cdn.multiclaw.test/updates/none/latest.json';

let rootLinksBefore: string;
let rootTablesBefore: string;
// what the root namespace has before the lab: `lab down` must leave exactly this
const run = promisify(execFile);
const rootLinks = async () =>
  (await run('ip', ['-o', 'link', 'show'])).stdout
    .replace(/^\d+: /gm, '')
    .split('\n')
    .map((l) => l.split(':')[0])
    .sort()
    .join('\n');
const rootTables = async () => (await run('nft', ['list', 'tables'])).stdout;

beforeAll(async () => {
  rootLinksBefore = await rootLinks();
  rootTablesBefore = await rootTables();
  // two sites (what `lab up --sites 2` builds): the second one shows the sites are separate
  lab = await startTestLab({ sites: 2 });
}, 240_000);

afterAll(async () => {
  await lab?.down();
});

describe('reachability in a running lab', () => {
  it('every service is healthy, the desktop signed in, its gateway and the cloud desktop connected', async () => {
    const status = await lab.status();
    expect(status.services.filter((s) => !s.healthy)).toEqual([]);
    expect(status.hosts.every((h) => h.addresses.every((a) => /^198\.1[89]\./.test(a)))).toBe(true);
    expect(status.services.find((s) => s.kind === 'desktop-sim')?.detail).toContain('local gateway connected');
    expect(status.services.find((s) => s.kind === 'daemon')?.detail).toBe('connected to the cloud');
    // the DPI box and the corporate proxy are off until a scenario turns them on
    expect(status.services.filter((s) => s.kind === 'mitmproxy' || s.kind === 'squid')).toEqual([]);
    expect((await lab.driver.probeTcp('s1-d1', '198.19.1.1', 3128, FAST)).ok).toBe(false);
    // --sites 2: each site its router, desktop, neighbour and link
    expect(status.hosts.filter((h) => h.site === 's2').map((h) => h.id)).toEqual(['s2-rtr', 's2-d1', 's2-nb']);
    // services start side by side, so in no particular order
    expect(
      status.services
        .filter((s) => s.host.startsWith('s2-'))
        .map((s) => s.id)
        .sort(),
    ).toEqual(['s2-d1-desktop', 's2-d1-gateway', 's2-toxiproxy']);
  });

  it('every service has a health check in its own protocol, not just "the process runs"', async () => {
    const detail = Object.fromEntries((await lab.status()).services.map((s) => [s.id, s.detail]));
    expect(detail.postgres).toMatch(/^pg_isready from cloud: .*accepting connections/);
    expect(detail.cloud).toBe('GET https://api.multiclaw.test/healthz from cloud: 200');
    expect(detail['cloud-bridge']).toMatch(/^accepts on .*cloud-api\.sock$/);
    expect(detail.llm).toMatch(/^GET https:\/\/api\.llm\.test\/v1\/models from llm: \d+$/);
    expect(detail.cdn).toBe('GET https://cdn.multiclaw.test/updates/none/latest.json from cdn: 404');
    expect(detail.coturn).toMatch(/^STUN binding on 198\.18\.0\.20:3478\/udp answered/);
    expect(detail['s1-toxiproxy']).toBe('API answers; 4 proxies (4 enabled)');
    expect(detail['s1-d1-gateway']).toMatch(/^local API on 127\.0\.0\.1:\d+ answers \(401\)$/);
  });

  it('every service writes a structured log (JSON lines), third-party programs included', async () => {
    const { services } = await lab.status();
    for (const s of services) {
      const lines = (await readFile(s.log, 'utf8')).split('\n').filter(Boolean);
      expect(lines.length, s.id).toBeGreaterThan(0);
      for (const line of lines) expect(() => JSON.parse(line), `${s.id}: ${line}`).not.toThrow();
    }
    const postgres = (await readFile(lab.logFile('postgres'), 'utf8'))
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l));
    expect(postgres).toContainEqual(
      expect.objectContaining({
        service: 'postgres',
        msg: expect.stringContaining('database system is ready to accept connections'),
      }),
    );
  });

  it('the sites are separate: one site cannot reach into another, and each reaches the cloud through its own router', async () => {
    expect(await lab.httpsProbe('s2-d1', API)).toMatchObject({ ok: true, status: 200 });
    const listener = await lab.driver.startTcpListener('s1-nb', '198.19.1.50', 8081);
    try {
      expect(await lab.driver.probeTcp('s1-d1', '198.19.1.50', 8081, FAST)).toMatchObject({ ok: true });
      expect((await lab.driver.probeTcp('s2-d1', '198.19.1.50', 8081, FAST)).ok).toBe(false);
    } finally {
      await listener.stop();
    }
  });

  it('the desktop reaches the cloud through its router; the cloud cannot reach into the site', async () => {
    expect(await lab.httpsProbe('s1-d1', API)).toMatchObject({ ok: true, status: 200 });
    const intoSite = await lab.driver.probeTcp('cloud', '198.19.1.11', 22, FAST);
    expect(intoSite.ok).toBe(false);
  });

  it("the neighbour cannot reach the desktop's gateway, which listens on 127.0.0.1 only", async () => {
    const port = Number(lab.service('s1-d1-gateway').handle.ready.port);
    expect(port).toBeGreaterThan(0);
    // the gateway answers on the desktop's own loopback…
    expect(await lab.driver.probeTcp('s1-d1', '127.0.0.1', port, FAST)).toMatchObject({ ok: true });
    // …and on no other interface, so neither the neighbour nor the desktop's LAN address reaches it
    expect((await lab.driver.probeTcp('s1-nb', '198.19.1.11', port, FAST)).ok).toBe(false);
    expect((await lab.driver.probeTcp('s1-d1', '198.19.1.11', port, FAST)).ok).toBe(false);
  });

  it('PostgreSQL is reachable from the cloud only', async () => {
    expect(await lab.driver.probeTcp('cloud', '198.18.1.20', 5432, FAST)).toMatchObject({ ok: true });
    for (const from of ['s1-d1', 's1-nb', 'relay', 'llm', 'cd1', 's1-rtr']) {
      expect((await lab.driver.probeTcp(from, '198.18.1.20', 5432, FAST)).ok, from).toBe(false);
    }
  });

  it('nothing in the lab reaches the harness', async () => {
    const { networkInterfaces } = await import('node:os');
    const rootAddresses = Object.values(networkInterfaces())
      .flat()
      .filter((i) => i && i.family === 'IPv4' && !i.internal)
      .map((i) => i!.address);
    for (const from of ['s1-d1', 'cloud', 's1-rtr']) {
      for (const address of rootAddresses)
        expect((await lab.driver.probeTcp(from, address, 22, FAST)).ok, `${from} → ${address}`).toBe(false);
    }
  });
});

describe('controls take effect and heal', () => {
  it('firewall: block UDP at a site', async () => {
    const echo = await lab.driver.startUdpEcho('relay', 3479);
    try {
      expect(await lab.driver.probeUdp('s1-d1', '198.18.0.20', 3479, FAST)).toMatchObject({ ok: true });
      const fault = await lab.driver.blockUdp({ site: 's1' });
      try {
        expect((await lab.driver.probeUdp('s1-d1', '198.18.0.20', 3479, FAST)).ok).toBe(false);
      } finally {
        await fault.heal();
      }
      expect(await lab.driver.probeUdp('s1-d1', '198.18.0.20', 3479, FAST)).toMatchObject({ ok: true });
    } finally {
      await echo.stop();
    }
  });

  it('firewall: drop a share of packets', async () => {
    const echo = await lab.driver.startUdpEcho('relay', 3480);
    try {
      const clean = await lab.driver.probeUdpBurst('s1-d1', '198.18.0.20', 3480, 200);
      expect(clean.received).toBeGreaterThanOrEqual(180);
      const fault = await lab.driver.dropShare({ site: 's1' }, 50);
      let lossy: { received: number };
      try {
        lossy = await lab.driver.probeUdpBurst('s1-d1', '198.18.0.20', 3480, 200);
      } finally {
        await fault.heal();
      }
      // 50 % each way: about a quarter of the round trips survive (200 tries: far from 0 and from 200)
      expect(lossy.received).toBeGreaterThan(10);
      expect(lossy.received).toBeLessThan(120);
      expect((await lab.driver.probeUdpBurst('s1-d1', '198.18.0.20', 3480, 200)).received).toBeGreaterThanOrEqual(180);
    } finally {
      await echo.stop();
    }
  });

  it('firewall: block a port, cut a site off (its LAN still works)', async () => {
    const port = await lab.driver.blockPort('cloud', 443);
    try {
      expect((await lab.httpsProbe('s1-d1', API, FAST)).ok).toBe(false);
      expect(await lab.httpsProbe('s1-d1', CDN, FAST)).toMatchObject({ ok: true, status: 404 });
    } finally {
      await port.heal();
    }
    expect(await lab.httpsProbe('s1-d1', API)).toMatchObject({ ok: true });

    const listener = await lab.driver.startTcpListener('s1-nb', '198.19.1.50', 8080);
    const cut = await lab.driver.cutSite('s1');
    try {
      expect((await lab.httpsProbe('s1-d1', API, FAST)).ok).toBe(false);
      expect(await lab.driver.probeTcp('s1-d1', '198.19.1.50', 8080, FAST)).toMatchObject({ ok: true });
      expect(await lab.httpsProbe('s2-d1', API)).toMatchObject({ ok: true }); // the other site is not cut
    } finally {
      await cut.heal();
      await listener.stop();
    }
    expect(await lab.httpsProbe('s1-d1', API)).toMatchObject({ ok: true });
  });

  it('process: pause the cloud, then kill -9 and restart it; the desktop comes back by itself', async () => {
    const desktop = lab.desktop('s1-d1');
    const healthz = () => lab.api.raw('GET', '/healthz', {}).then((r) => r.status);
    const health = async (id: string) => (await lab.status()).services.find((s) => s.id === id)!;
    expect(await healthz()).toBe(200);
    const paused = await lab.pause('cloud');
    const stalled = await Promise.race([
      healthz().then(() => 'answered'),
      new Promise((r) => setTimeout(() => r('no answer'), 1500)),
    ]);
    expect(stalled).toBe('no answer');
    // its process still runs, but the health check sees it does not answer
    expect(await health('cloud')).toMatchObject({ healthy: false, pid: lab.service('cloud').handle.pid });
    await paused.heal();
    expect(await healthz()).toBe(200);
    expect(await health('cloud')).toMatchObject({ healthy: true });

    const mark = desktop.mark();
    await lab.restart('cloud', { crash: true });
    await desktop.waitForEvent({ event: 'realtime.reconnected' }, { since: mark, timeoutMs: 60_000 });
    expect(await healthz()).toBe(200);
  });

  it('process: pause PostgreSQL (its health check fails, then passes); stop and restart any service cleanly', async () => {
    const health = async (id: string) => (await lab.status()).services.find((s) => s.id === id)!;
    const paused = await lab.pause('postgres');
    try {
      expect(await health('postgres')).toMatchObject({ healthy: false, detail: expect.stringContaining('pg_isready') });
    } finally {
      await paused.heal();
    }
    expect(await health('postgres')).toMatchObject({ healthy: true });

    const before = lab.service('llm').handle.pid;
    await lab.restart('llm');
    expect(lab.service('llm').handle.pid).not.toBe(before);
    expect(await health('llm')).toMatchObject({ healthy: true });
    await lab.stop('cdn');
    expect(await health('cdn')).toMatchObject({ healthy: false, pid: null });
    await lab.restart('cdn');
    expect(await health('cdn')).toMatchObject({ healthy: true });
  });

  it("clock: one host's time moves, the others' do not, and it moves back", async () => {
    const before = await lab.hostNow('s1-d1');
    await lab.setClock('s1-d1', 3 * 3600);
    try {
      const moved = await lab.hostNow('s1-d1');
      const other = await lab.hostNow('cloud');
      expect(moved - before).toBeGreaterThanOrEqual(3 * 3600 * 1000);
      expect(Math.abs(other - Date.now())).toBeLessThan(600_000);
    } finally {
      await lab.setClock('s1-d1', 0);
    }
    expect(Math.abs((await lab.hostNow('s1-d1')) - Date.now())).toBeLessThan(600_000);
  });

  it("clock: every host's time moves together, and back", async () => {
    await lab.setClock('all', -2 * 86_400);
    try {
      for (const host of ['cloud', 'relay', 's1-d1', 's2-d1', 'cd1']) {
        expect(Date.now() - (await lab.hostNow(host)), host).toBeGreaterThanOrEqual(2 * 86_400_000 - 600_000);
      }
    } finally {
      await lab.setClock('all', 0);
    }
    for (const host of ['cloud', 's2-d1']) expect(Math.abs((await lab.hostNow(host)) - Date.now()), host).toBeLessThan(600_000);
  });

  it('capture: packets on the router WAN show the site behind its NAT address', async () => {
    const file = `${lab.stateDir}/logs/capture-wan.pcap`;
    const capture = await lab.driver.capture('s1-rtr', 'wan', { filter: 'tcp port 443', file });
    try {
      expect(await lab.httpsProbe('s1-d1', API)).toMatchObject({ ok: true });
    } finally {
      await capture.stop();
    }
    const { readFile } = await import('node:fs/promises');
    const pcap = await readFile(file);
    // 198.18.0.201 (router WAN) → 198.18.0.10 (cloud) appears; the desktop's LAN address does not
    expect(pcap.includes(Buffer.from([198, 18, 0, 201]))).toBe(true);
    expect(pcap.includes(Buffer.from([198, 19, 1, 11]))).toBe(false);
  });
});

describe('lab down', () => {
  it('leaves no namespace, /etc/netns entry, link, nft table or process behind', async () => {
    const pids = await lab.driver.pids();
    expect(pids.length).toBeGreaterThan(5);
    await lab.down();
    expect((await listNamespaces()).filter((n) => n.startsWith(`${lab.prefix}-`))).toEqual([]);
    const { existsSync, readFileSync } = await import('node:fs');
    expect(existsSync(`/etc/netns/${lab.prefix}-cloud`)).toBe(false);
    // still running = has a /proc entry that is not a zombie (a zombie has exited and only waits to be reaped)
    const running = (pid: number) => {
      try {
        return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] !== 'Z';
      } catch {
        return false;
      }
    };
    expect(pids.filter(running)).toEqual([]);
    // the root namespace has exactly the links and nft tables it had before the lab
    expect(await rootLinks()).toBe(rootLinksBefore);
    expect(await rootTables()).toBe(rootTablesBefore);
  });
});
