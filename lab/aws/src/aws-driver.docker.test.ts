/**
 * Every script the aws driver sends to an instance (program start, signal, fault on, fault off,
 * capture, clock) run by the aws driver itself on docker-driver hosts: only the delivery differs
 * (docker exec instead of Systems Manager). The docker driver is the observer: its probes, from
 * other hosts, see each fault take effect and each heal undo it.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { containerName, dockerDriver } from '@multiclaw-lab/docker';
import { readPcap } from '@multiclaw-lab/infra';
import { addressOf, buildTopology, type LabDriver, PROBE_PORTS } from '@multiclaw-lab/network';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AwsDriver } from './aws-driver.ts';
import { DockerTransport } from './docker-transport.ts';

const PORT = { web: PROBE_PORTS.min + 11, alt: PROBE_PORTS.min + 12, udp: PROBE_PORTS.min + 13 };
const FAIL_FAST = { timeoutMs: 600 };

describe('the aws driver’s instance scripts take effect and heal on docker-driver hosts', () => {
  const topology = buildTopology();
  const site = topology.sites[0]!;
  const desktop = site.desktops[0]!;
  const at = (host: string) => addressOf(topology, host);
  const prefix = `a${randomBytes(3).toString('hex')}`;
  let stateDir: string;
  let observer: LabDriver;
  let aws: AwsDriver;

  beforeAll(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'aws-driver-docker-'));
    observer = await dockerDriver(topology, { prefix, stateDir });
    aws = new AwsDriver(topology, new DockerTransport((host) => containerName(prefix, host)), {
      prefix: 'staging',
      stateDir,
    });
    await Promise.all([
      observer.startTcpListener('cloud', at('cloud'), PORT.web),
      observer.startTcpListener('cloud', at('cloud'), PORT.alt),
      observer.startTcpListener(site.neighbour, at(site.neighbour), PORT.web),
      observer.startUdpEcho('relay', PORT.udp),
    ]);
  });

  afterEach(async () => {
    for (const fault of [...aws.activeFaults]) await fault.heal();
  });

  afterAll(async () => {
    await aws?.down();
    await observer?.down();
    await rm(stateDir, { recursive: true, force: true });
  });

  it('a program runs with exactly the environment it is given, as the account asked for', async () => {
    const env = await aws.exec(desktop, 'env', [], { env: { LAB_MARK: 'it is "quoted" $HOME' } });
    expect(env.code).toBe(0);
    expect(env.stdout).toContain('LAB_MARK=it is "quoted" $HOME');
    expect(env.stdout).not.toMatch(/^HOSTNAME=/m);
    const id = await aws.exec(desktop, 'id', ['-un'], { user: 'nobody' });
    expect(id.stdout.trim()).toBe('nobody');
  });

  it('a started program’s pid is the one its host shows, and a signal sent to it arrives', async () => {
    const child = aws.spawn(desktop, 'sleep', ['600']);
    const closed = new Promise<NodeJS.Signals | null>((resolve) => child.once('close', (_code, signal) => resolve(signal)));
    const pid = await aws.pidInHost(child);
    const ps = await observer.exec(desktop, 'ps', ['-o', 'comm=', '-p', String(pid)]);
    expect(ps.stdout.trim()).toBe('sleep');
    await aws.signal(child, 'SIGKILL');
    await closed;
    const gone = await observer.exec(desktop, 'ps', ['-o', 'comm=', '-p', String(pid)]);
    expect(gone.code).not.toBe(0);
  });

  it('blocking UDP at a host drops its datagrams until healed', async () => {
    expect((await observer.probeUdp('llm', at('relay'), PORT.udp)).ok).toBe(true);
    const fault = await aws.blockUdp({ host: 'relay' });
    expect((await observer.probeUdp('llm', at('relay'), PORT.udp, FAIL_FAST)).ok).toBe(false);
    await fault.heal();
    expect((await observer.probeUdp('llm', at('relay'), PORT.udp)).ok).toBe(true);
  });

  it('blocking a TCP port at a host closes that port only, until healed', async () => {
    const fault = await aws.blockPort('cloud', PORT.web);
    expect((await observer.probeTcp('llm', at('cloud'), PORT.web, FAIL_FAST)).ok).toBe(false);
    expect((await observer.probeTcp('llm', at('cloud'), PORT.alt)).ok).toBe(true);
    await fault.heal();
    expect((await observer.probeTcp('llm', at('cloud'), PORT.web)).ok).toBe(true);
  });

  it('cutting a site stops its hosts’ traffic beyond the site while the LAN still works, until healed', async () => {
    const fault = await aws.cutSite(site.id);
    expect((await observer.probeTcp(desktop, at('cloud'), PORT.web, FAIL_FAST)).ok).toBe(false);
    expect((await observer.probeTcp(desktop, at(site.neighbour), PORT.web)).ok).toBe(true);
    await fault.heal();
    expect((await observer.probeTcp(desktop, at('cloud'), PORT.web)).ok).toBe(true);
  });

  it('blocking UDP at a site drops the site’s UDP to the world, not its TCP, until healed', async () => {
    const fault = await aws.blockUdp({ site: site.id });
    expect((await observer.probeUdp(desktop, at('relay'), PORT.udp, FAIL_FAST)).ok).toBe(false);
    expect((await observer.probeTcp(desktop, at('cloud'), PORT.web)).ok).toBe(true);
    await fault.heal();
    expect((await observer.probeUdp(desktop, at('relay'), PORT.udp)).ok).toBe(true);
  });

  it('dropping a share of 100 % drops every packet, and healing lets them through', async () => {
    const fault = await aws.dropShare({ host: 'cloud' }, 100);
    const during = await observer.probeUdpBurst('llm', at('relay'), PORT.udp, 1);
    expect(during.received).toBe(1); // the relay is not the faulted host
    expect((await observer.probeTcp('llm', at('cloud'), PORT.alt, FAIL_FAST)).ok).toBe(false);
    await fault.heal();
    expect((await observer.probeTcp('llm', at('cloud'), PORT.alt)).ok).toBe(true);
  });

  it('a capture holds what was sent while it ran, and stopping it leaves no tcpdump behind', async () => {
    const file = join(stateDir, 'llm.pcap');
    const capture = await aws.capture('llm', 'eth0', { filter: `udp port ${PORT.udp}`, file });
    expect((await observer.probeUdp('llm', at('relay'), PORT.udp)).ok).toBe(true);
    expect(await capture.stop()).toBe(file);
    const packets = await readPcap(file);
    expect(packets.some((p) => p.src === at('llm') && p.dst === at('relay') && p.dstPort === PORT.udp)).toBe(true);
    expect((await observer.exec('llm', 'pgrep', ['-x', 'tcpdump'])).code).toBe(1);
  });

  it('a host’s clock moves for the programs that follow it, and comes back', async () => {
    const clockNow = async () => {
      const r = await aws.exec('llm', process.execPath, ['-e', 'console.log(Date.now())'], { env: aws.clockEnv('llm') });
      expect(r.code, r.stderr).toBe(0);
      return Number(r.stdout.trim()) - Date.now();
    };
    const DAY_MS = 86_400_000;
    await aws.setClock('llm', 2 * 86_400);
    expect(Math.round((await clockNow()) / DAY_MS)).toBe(2);
    await aws.setClock('llm', 0);
    expect(Math.abs(Math.round((await clockNow()) / DAY_MS))).toBe(0);
  });

  it('the driver refuses what a NAT gateway cannot do, saying why', async () => {
    await expect(aws.proxyOnly(site.id)).rejects.toMatchObject({ code: 'LAB_UNSUPPORTED', message: /NAT gateway/ });
  });

  it('detaching heals every fault and leaves no lab table on any host', async () => {
    await aws.blockUdp({ host: 'relay' });
    await aws.cutSite(site.id);
    expect(await aws.leftovers()).toHaveLength(1 + site.desktops.length + 1);
    await aws.down();
    expect(await aws.leftovers()).toEqual([]);
    expect((await observer.probeTcp(desktop, at('cloud'), PORT.web)).ok).toBe(true);
    expect((await observer.probeUdp('llm', at('relay'), PORT.udp)).ok).toBe(true);
  });
});
