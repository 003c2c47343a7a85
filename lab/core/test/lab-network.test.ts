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

beforeAll(async () => {
  lab = await startTestLab();
}, 180_000);

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
    } finally {
      await cut.heal();
      await listener.stop();
    }
    expect(await lab.httpsProbe('s1-d1', API)).toMatchObject({ ok: true });
  });

  it('process: pause the cloud, then kill -9 and restart it; the desktop comes back by itself', async () => {
    const desktop = lab.desktop('s1-d1');
    const healthz = () => lab.api.raw('GET', '/healthz', {}).then((r) => r.status);
    expect(await healthz()).toBe(200);
    const paused = lab.pause('cloud');
    const stalled = await Promise.race([
      healthz().then(() => 'answered'),
      new Promise((r) => setTimeout(() => r('no answer'), 1500)),
    ]);
    expect(stalled).toBe('no answer');
    await paused.heal();
    expect(await healthz()).toBe(200);

    const mark = desktop.mark();
    await lab.restart('cloud', { crash: true });
    await desktop.waitForEvent({ event: 'realtime.reconnected' }, { since: mark, timeoutMs: 60_000 });
    expect(await healthz()).toBe(200);
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
  it('leaves no namespace, /etc/netns entry or process behind', async () => {
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
  });
});
