/**
 * The driver conformance suite: the same tests for every driver, given only its factory. A
 * driver is done when this passes on it. Each test reads as the promise of the contract it
 * checks (driver.ts), uses only the contract and the topology (never a driver's internals), and
 * proves every fault twice: a probe fails while it is on and passes again after heal().
 *
 * Plain TCP listeners and UDP echo servers stand in for services, so a driver can be checked
 * before any MultiClaw component runs on it.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DriverFactory, LabDriver, TcpListenerHandle } from '../driver.ts';
import { routerInterfaces } from '../provision.ts';
import { addressOf, buildTopology, PROBE_PORTS, PUBLIC_NAMES } from '../topology.ts';

export interface ConformanceOptions {
  /** a fresh prefix per run keeps concurrent labs apart; default: random */
  prefix?: string;
}

const FAIL_FAST = { timeoutMs: 600 };
// ports inside the harness's probe range, so an egress audit never mistakes them for the product
const PORT = { web: PROBE_PORTS.min + 1, alt: PROBE_PORTS.min + 2, udp: PROBE_PORTS.min + 3, db: PROBE_PORTS.min + 4 };

export function describeDriverConformance(label: string, factory: DriverFactory, options: ConformanceOptions = {}): void {
  describe(`driver conformance: ${label}`, () => {
    const topology = buildTopology();
    const site = topology.sites[0]!;
    const desktop = site.desktops[0]!;
    const router = site.router;
    const neighbour = site.neighbour;
    const cloudDesktop = topology.hosts.find((h) => h.role === 'cloud-desktop')!.id;
    const at = (host: string) => addressOf(topology, host);
    const DB_ON_PRIVATE = at('db');
    const prefix = options.prefix ?? `c${randomBytes(3).toString('hex')}`;
    const listeners: TcpListenerHandle[] = [];
    let stateDir: string;
    let driver: LabDriver;
    let cloudListener: TcpListenerHandle;

    const listen = async (host: string, address: string, port: number) => {
      const l = await driver.startTcpListener(host, address, port);
      listeners.push(l);
      return l;
    };

    beforeAll(async () => {
      stateDir = await mkdtemp(join(tmpdir(), `conformance-${label}-`));
      driver = await factory(topology, { prefix, stateDir });
      [cloudListener] = await Promise.all([
        listen('cloud', at('cloud'), PORT.web),
        listen('cloud', at('cloud'), PORT.alt),
        listen('cdn', at('cdn'), PORT.web),
        listen('db', DB_ON_PRIVATE, PORT.db),
        listen(desktop, '127.0.0.1', PORT.alt), // like a gateway's local API: loopback only
        listen(desktop, at(desktop), PORT.web), // the same kind of listener on the LAN address
      ]);
    });

    // a test that failed midway leaves no fault behind for the tests after it
    afterEach(async () => {
      for (const fault of [...(driver?.activeFaults ?? [])]) await fault.heal();
    });

    afterAll(async () => {
      await driver?.down();
      await rm(stateDir, { recursive: true, force: true });
    });

    describe('programs run inside hosts', () => {
      it('a program gets exactly the environment it is given, with the host HOME and trust store as defaults', async () => {
        const r = await driver.exec(desktop, 'env', [], { env: { LAB_MARK: 'conformance' } });
        expect(r.code).toBe(0);
        expect(r.stdout).toContain('LAB_MARK=conformance');
        expect(r.stdout).toContain(`HOME=${join(driver.hostDir(desktop), 'home')}`);
        expect(r.stdout).not.toContain('NODE_EXTRA_CA_CERTS'); // nothing of the harness's environment leaks in
        // nor anything the driver's own machinery adds (docker exec sets HOSTNAME, say)
        const names = r.stdout
          .trim()
          .split('\n')
          .map((line) => line.split('=')[0]);
        expect(names.sort()).toEqual(['HOME', 'LAB_MARK', 'PATH', 'SSL_CERT_FILE']);
        // and what it is given wins over any default, PATH included (whatever the harness's own is)
        const given = await driver.exec(desktop, 'env', [], { env: { PATH: '/bin:/usr/bin', HOME: '/tmp' } });
        expect(given.stdout.trim().split('\n').sort()).toEqual([
          'HOME=/tmp',
          'PATH=/bin:/usr/bin',
          `SSL_CERT_FILE=${join(driver.hostDir(desktop), 'trust', 'ca-certificates.crt')}`,
        ]);
      });

      it("a file the harness writes into a host's folder is what a program in that host reads at the same path", async () => {
        const file = join(driver.hostDir(desktop), 'home', `note-${prefix}`);
        await writeFile(file, 'written by the harness\n');
        const r = await driver.exec(desktop, 'cat', [file]);
        expect(r.stdout).toBe('written by the harness\n');
        await driver.exec(desktop, 'sh', ['-c', `echo written in the host >> ${file}`]);
        expect(await readFile(file, 'utf8')).toBe('written by the harness\nwritten in the host\n');
      });

      it('a program can run as another system account', async () => {
        const r = await driver.exec('db', 'id', ['-un'], { user: 'nobody' });
        expect(r.stdout.trim()).toBe('nobody');
      });

      it("every host resolves the public names to the topology's addresses", async () => {
        for (const host of [desktop, 'cloud', cloudDesktop]) {
          const r = await driver.exec(host, 'getent', ['hosts', PUBLIC_NAMES.api]);
          expect(r.stdout, host).toContain(topology.names[PUBLIC_NAMES.api]);
        }
      });

      it('signals sent to a helper reach it: paused it stops answering, continued it answers, killed it is gone', async () => {
        await using echo = await driver.startUdpEcho('relay', PORT.udp);
        expect(await driver.probeUdp(desktop, at('relay'), PORT.udp)).toEqual({ ok: true });
        await echo.signal('SIGSTOP');
        try {
          expect((await driver.probeUdp(desktop, at('relay'), PORT.udp, FAIL_FAST)).ok).toBe(false);
        } finally {
          await echo.signal('SIGCONT');
        }
        expect(await driver.probeUdp(desktop, at('relay'), PORT.udp)).toEqual({ ok: true });
        await echo.signal('SIGKILL');
        await echo.stop();
        expect((await driver.probeUdp(desktop, at('relay'), PORT.udp, FAIL_FAST)).ok).toBe(false);
        // and the same port can be served again: a restart
        await using again = await driver.startUdpEcho('relay', PORT.udp);
        expect(await driver.probeUdp(desktop, at('relay'), PORT.udp)).toEqual({ ok: true });
        expect(again.port).toBe(PORT.udp);
      });

      it("a spawned program's exit is the child's exit, and child.kill() reaches the program", async () => {
        const done = driver.spawn(desktop, 'sh', ['-c', 'exit 7'], { env: {} });
        expect(await new Promise((resolve) => done.once('exit', (code) => resolve(code)))).toBe(7);
        const long = driver.spawn(desktop, 'sleep', ['600'], { env: {} });
        await driver.pidInHost(long); // running
        const exited = new Promise((resolve) => long.once('exit', (code, signal) => resolve(code ?? signal)));
        long.kill('SIGTERM');
        expect(await exited).not.toBe(0);
      });

      it('pidInHost is the process id the program has inside its host', async () => {
        const child = driver.spawn(desktop, 'sh', ['-c', 'echo $$; exec sleep 600'], { env: {} });
        const own = new Promise<string>((resolve) => child.stdout!.once('data', (b: Buffer) => resolve(b.toString().trim())));
        try {
          expect(await driver.pidInHost(child)).toBe(Number(await own));
          const ps = await driver.exec(desktop, 'ps', ['-o', 'pid=,comm=', '-p', String(await driver.pidInHost(child))]);
          expect(ps.stdout).toContain('sleep');
        } finally {
          await driver.signal(child, 'SIGKILL');
        }
      });

      it('pids() lists the processes running in the hosts', async () => {
        expect((await driver.pids()).length).toBeGreaterThanOrEqual(listeners.length);
      });
    });

    describe('the network is the topology', () => {
      it('a desktop reaches an internet host through its router, which masquerades it', async () => {
        const cloud = cloudListener;
        expect(await driver.probeTcp(desktop, at('cloud'), PORT.web)).toEqual({ ok: true });
        expect(await driver.probeTcp(desktop, PUBLIC_NAMES.api, PORT.web)).toEqual({ ok: true });
        expect((await cloud.waitForConnection()).remoteAddress).toBe(site.wanAddress);
        expect(cloud.accepted().some((p) => p.remoteAddress === at(desktop))).toBe(false);
      });

      it("a neighbour cannot reach a desktop's loopback listener, but reaches one on its LAN address", async () => {
        expect(await driver.probeTcp(desktop, '127.0.0.1', PORT.alt)).toEqual({ ok: true });
        expect((await driver.probeTcp(neighbour, at(desktop), PORT.alt, FAIL_FAST)).ok).toBe(false);
        expect(await driver.probeTcp(neighbour, at(desktop), PORT.web)).toEqual({ ok: true });
      });

      it('only the cloud reaches the database', async () => {
        expect(await driver.probeTcp('cloud', DB_ON_PRIVATE, PORT.db)).toEqual({ ok: true });
        for (const host of [desktop, 'relay', cloudDesktop, router])
          expect((await driver.probeTcp(host, DB_ON_PRIVATE, PORT.db, FAIL_FAST)).ok, host).toBe(false);
      });

      it('an internet host cannot open a connection into a site', async () => {
        expect((await driver.probeTcp('cloud', at(desktop), PORT.web, FAIL_FAST)).ok).toBe(false);
        expect((await driver.probeTcp('cloud', site.wanAddress, PORT.web, FAIL_FAST)).ok).toBe(false);
      });
    });

    describe('firewall faults take effect and heal', () => {
      it('blockUdp on a site drops only that site’s UDP; on a host, only that host’s', async () => {
        await using echo = await driver.startUdpEcho('relay', PORT.udp);
        expect(await driver.probeUdp(desktop, at('relay'), PORT.udp)).toEqual({ ok: true });
        expect((await echo.waitForDatagram()).remoteAddress).toBe(site.wanAddress);

        const atSite = await driver.blockUdp({ site: site.id });
        expect(driver.activeFaults).toContain(atSite);
        expect((await driver.probeUdp(desktop, at('relay'), PORT.udp, FAIL_FAST)).ok).toBe(false);
        expect(await driver.probeUdp(cloudDesktop, at('relay'), PORT.udp)).toEqual({ ok: true });
        expect(await driver.probeTcp(desktop, at('cloud'), PORT.web)).toEqual({ ok: true }); // only UDP
        await atSite.heal();
        await atSite.heal(); // idempotent
        expect(driver.activeFaults).not.toContain(atSite);
        expect(await driver.probeUdp(desktop, at('relay'), PORT.udp)).toEqual({ ok: true });

        const atHost = await driver.blockUdp({ host: 'relay' });
        expect((await driver.probeUdp(cloudDesktop, at('relay'), PORT.udp, FAIL_FAST)).ok).toBe(false);
        await atHost.heal();
        expect(await driver.probeUdp(cloudDesktop, at('relay'), PORT.udp)).toEqual({ ok: true });
      });

      it('blockUdpWithPeer drops UDP with one peer; UDP to others still passes', async () => {
        await using toRelay = await driver.startUdpEcho('relay', PORT.udp);
        await using toDesktop = await driver.startUdpEcho(cloudDesktop, PORT.udp);
        const fault = await driver.blockUdpWithPeer({ site: site.id }, at(cloudDesktop));
        expect((await driver.probeUdp(desktop, at(cloudDesktop), PORT.udp, FAIL_FAST)).ok).toBe(false);
        expect(await driver.probeUdp(desktop, at('relay'), PORT.udp)).toEqual({ ok: true });
        await fault.heal();
        expect(await driver.probeUdp(desktop, at(cloudDesktop), PORT.udp)).toEqual({ ok: true });
        expect(toRelay.echoed().length + toDesktop.echoed().length).toBeGreaterThan(0);
      });

      it('blockPort on a host blocks that port and nothing else', async () => {
        const fault = await driver.blockPort('cloud', PORT.web, 'tcp');
        expect((await driver.probeTcp(desktop, at('cloud'), PORT.web, FAIL_FAST)).ok).toBe(false);
        expect(await driver.probeTcp(desktop, at('cloud'), PORT.alt)).toEqual({ ok: true });
        await fault.heal();
        expect(await driver.probeTcp(desktop, at('cloud'), PORT.web)).toEqual({ ok: true });
      });

      it('blockPort on a router blocks that port for the whole site', async () => {
        const fault = await driver.blockPort(router, PORT.alt, 'tcp');
        expect((await driver.probeTcp(desktop, at('cloud'), PORT.alt, FAIL_FAST)).ok).toBe(false);
        expect(await driver.probeTcp(desktop, at('cloud'), PORT.web)).toEqual({ ok: true });
        await fault.heal();
        expect(await driver.probeTcp(desktop, at('cloud'), PORT.alt)).toEqual({ ok: true });
      });

      it('dropShare drops all, none, or a share of packets, and refuses a share outside 0–100', async () => {
        const all = await driver.dropShare({ site: site.id }, 100);
        expect((await driver.probeTcp(desktop, at('cloud'), PORT.web, FAIL_FAST)).ok).toBe(false);
        await all.heal();
        expect(await driver.probeTcp(desktop, at('cloud'), PORT.web)).toEqual({ ok: true });

        await using echo = await driver.startUdpEcho('relay', PORT.udp);
        const before = await driver.probeUdpBurst(desktop, at('relay'), echo.port, 100);
        expect(before.received).toBe(before.sent);
        // half of each direction: a round trip survives with p = 0.25, so all or none of 100 is
        // practically impossible (p < 1e-12)
        const half = await driver.dropShare({ site: site.id }, 50);
        const during = await driver.probeUdpBurst(desktop, at('relay'), echo.port, 100);
        expect(during.received).toBeGreaterThan(0);
        expect(during.received).toBeLessThan(during.sent);
        await half.heal();
        const after = await driver.probeUdpBurst(desktop, at('relay'), echo.port, 100);
        expect(after.received).toBe(after.sent);

        const none = await driver.dropShare({ host: 'cloud' }, 0);
        expect(await driver.probeTcp(desktop, at('cloud'), PORT.web)).toEqual({ ok: true });
        await none.heal();
        await expect(driver.dropShare({ site: site.id }, 101)).rejects.toThrow(/0–100/);
      });

      it('cutSite cuts the internet link; the LAN still works', async () => {
        const fault = await driver.cutSite(site.id);
        expect((await driver.probeTcp(desktop, at('cloud'), PORT.web, FAIL_FAST)).ok).toBe(false);
        expect((await driver.probeTcp(router, at('cloud'), PORT.web, FAIL_FAST)).ok).toBe(false);
        expect(await driver.probeTcp(neighbour, at(desktop), PORT.web)).toEqual({ ok: true });
        expect(driver.activeFaults.map((f) => f.description)).toEqual([fault.description]);
        await fault.heal();
        expect(driver.activeFaults).toEqual([]);
        expect(await driver.probeTcp(desktop, at('cloud'), PORT.web)).toEqual({ ok: true });
      });

      it('proxyOnly lets the LAN reach only the router and the allowed destinations', async () => {
        await using proxy = await driver.startTcpListener(router, site.lanAddress, 0);
        const fault = await driver.proxyOnly(site.id, { allow: [{ address: at('cloud'), port: PORT.web }] });
        expect((await driver.probeTcp(desktop, at('cdn'), PORT.web, FAIL_FAST)).ok).toBe(false);
        expect(await driver.probeTcp(desktop, at('cloud'), PORT.web)).toEqual({ ok: true });
        expect(await driver.probeTcp(desktop, site.lanAddress, proxy.port)).toEqual({ ok: true });
        expect(await driver.probeTcp(router, at('cdn'), PORT.web)).toEqual({ ok: true }); // the proxy itself goes out
        await fault.heal();
        expect(await driver.probeTcp(desktop, at('cdn'), PORT.web)).toEqual({ ok: true });
      });

      it('redirectTcp steers site traffic into a listener on the router, several at once, each healed alone', async () => {
        await using toCloud = await driver.startTcpListener(router, site.lanAddress, 0);
        await using toCdn = await driver.startTcpListener(router, site.lanAddress, 0);
        const closedPort = PROBE_PORTS.min + 5; // nothing listens there on either host
        const a = await driver.redirectTcp(site.id, { toAddress: at('cloud'), toPort: closedPort, localPort: toCloud.port });
        const b = await driver.redirectTcp(site.id, { toAddress: at('cdn'), toPort: closedPort, localPort: toCdn.port });
        expect(await driver.probeTcp(desktop, at('cloud'), closedPort)).toEqual({ ok: true });
        expect((await toCloud.waitForConnection()).remoteAddress).toBe(at(desktop));
        expect(await driver.probeTcp(desktop, at('cdn'), closedPort)).toEqual({ ok: true });
        expect((await toCdn.waitForConnection()).remoteAddress).toBe(at(desktop));
        await a.heal();
        expect((await driver.probeTcp(desktop, at('cloud'), closedPort, FAIL_FAST)).ok).toBe(false);
        expect(await driver.probeTcp(desktop, at('cdn'), closedPort)).toEqual({ ok: true }); // the other one stays
        await b.heal();
        expect((await driver.probeTcp(desktop, at('cdn'), closedPort, FAIL_FAST)).ok).toBe(false);
      });
    });

    describe('evidence and clocks', () => {
      it("a capture on the router's internet side records a probe's packets after NAT", async () => {
        const file = join(stateDir, `wan-${prefix}.pcap`);
        const wan = routerInterfaces(topology, site).wan;
        const capture = await driver.capture(router, wan, { filter: `tcp port ${PORT.alt}`, file });
        expect(await driver.probeTcp(desktop, at('cloud'), PORT.alt)).toEqual({ ok: true });
        expect(await capture.stop()).toBe(file);
        const pcap = await readFile(file);
        // the pcap holds IPv4 headers: the router's WAN address as source, never the desktop's
        expect(pcap.includes(Buffer.from(site.wanAddress.split('.').map(Number)))).toBe(true);
        expect(pcap.includes(Buffer.from(at(desktop).split('.').map(Number)))).toBe(false);
      });

      it("setClock moves one host's wall clock for processes that follow it, and only that host's", async () => {
        const now = async (host: string) => {
          const r = await driver.exec(host, 'date', ['+%s'], { env: { PATH: '/usr/bin:/bin', ...driver.clockEnv(host) } });
          return Number(r.stdout.trim());
        };
        // whole hours apart, so a slow exec cannot blur which clock was read (+ 0 turns -0 into 0)
        const hoursFromReal = (seconds: number) => Math.round((seconds - Date.now() / 1000) / 3_600) + 0;
        const HOURS_2 = 7_200;
        await driver.setClock(desktop, HOURS_2);
        try {
          const [moved, other] = await Promise.all([now(desktop), now(neighbour)]);
          expect(hoursFromReal(moved)).toBe(2);
          expect(hoursFromReal(other)).toBe(0);
        } finally {
          await driver.setClock(desktop, 0);
        }
        expect(hoursFromReal(await now(desktop))).toBe(0);
        await expect(driver.setClock(desktop, 1.5)).rejects.toThrow(/whole seconds/);
      });
    });

    describe('down', () => {
      it('leaves nothing of the lab on the machine, and refuses work afterwards', async () => {
        const pids = await driver.pids();
        expect(pids.length).toBeGreaterThan(0);
        expect(await driver.leftovers()).not.toEqual([]);
        await driver.down();
        await driver.down(); // idempotent
        expect(await driver.leftovers()).toEqual([]);
        // ESRCH is "no such process"; EPERM means it exists but is not ours to signal
        const alive = pids.filter((pid) => {
          try {
            process.kill(pid, 0);
            return true;
          } catch (err) {
            return (err as NodeJS.ErrnoException).code !== 'ESRCH';
          }
        });
        expect(alive).toEqual([]);
        expect(() => driver.spawn(desktop, 'true', [])).toThrow(/not up/);
      });
    });
  });
}
