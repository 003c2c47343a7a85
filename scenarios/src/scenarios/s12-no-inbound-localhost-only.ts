import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readPcap } from '@multiclaw-lab/infra';
import { addressOf } from '@multiclaw-lab/network';
import { LOCAL_API_FILE, LocalApiFile } from '@multiclaw-lab/protocol';
import { defineScenario } from '../define.ts';
import { waitForAgent } from './synced-instances.ts';

const HOST = 's1-d1';
const SITE = 's1';
const TERMINAL = new Set(['completed', 'failed', 'interrupted']);

/** One listening socket as `ss -ltnup` prints it. */
interface Listener {
  netid: string;
  address: string;
  port: number;
  process: string;
}

/** Parses `ss -H -ltnup`: netid, state, recv-q, send-q, local address:port, peer, process. */
function parseSs(stdout: string): Listener[] {
  return stdout
    .split('\n')
    .filter((l) => l.trim())
    .map((line) => {
      const cols = line.trim().split(/\s+/);
      const local = cols[4] ?? '';
      const colon = local.lastIndexOf(':');
      return {
        netid: cols[0] ?? '',
        address: local
          .slice(0, colon)
          .replace(/^\[|\]$/g, '')
          .replace(/%.*$/, ''),
        port: Number(local.slice(colon + 1)),
        process: cols.slice(6).join(' '),
      };
    });
}

const isLoopback = (address: string) => address.startsWith('127.') || address === '::1' || address === '::ffff:127.0.0.1';

const PORT_SWEEP = fileURLToPath(new URL('../port-sweep.ts', import.meta.url));

/** What port-sweep.ts prints: the ports that were not closed, and how many were. */
interface SweepResult {
  address: string;
  ms: number;
  tcp: { open: number[]; filtered: number[]; closed: number };
  udp: { open: number[]; silent: number[]; closed: number };
}

/**
 * The host's kernel rate-limits ICMP errors (one a second per peer after a short burst), so a UDP
 * sweep would hear "port unreachable" for a handful of ports only and could not tell a silent
 * listener from a closed port. For the sweep the limits are lifted in that host's namespace (the
 * product's sockets are untouched), and put back after.
 */
const ICMP_LIMITS = ['net.ipv4.icmp_ratelimit', 'net.ipv4.icmp_msgs_per_sec', 'net.ipv4.icmp_msgs_burst'];

/**
 * Nothing on a site can be reached from outside the machine: the gateway's API answers on the
 * host's loopback only (not from the neighbour, another desktop or the host's own LAN address),
 * the desktop host listens on nothing but loopback (a sweep of every TCP and UDP port from the
 * neighbour finds nothing open, `ss` inside agrees), nothing on the internet can open a
 * connection towards the site, and while the apps work every connection is opened by the site.
 */
export default defineScenario({
  id: 'S12-no-inbound-localhost-only',
  title: 'No inbound, localhost only: the gateway API is loopback-only and every connection is opened by the site',
  claims: [
    'NS-01',
    'NS-03',
    'NS-15',
    'NS-16',
    'NS-26',
    'NS-27',
    'NS-31',
    'NS-45',
    'NS-46',
    'NS-47',
    'SO-21',
    'DE-27',
    'DE-28',
    'DE-31',
  ],
  tags: ['network', 'local'],
  needs: ['capture', 'host-files'],
  desktopHosts: 2,
  timeoutMs: 240_000,
  async run(ctx) {
    const { lab } = ctx;
    const site = lab.topology.sites.find((s) => s.id === SITE)!;
    const hostAddress = addressOf(lab.topology, HOST);
    const alice = await ctx.account('alice');
    const workspaceId = await ctx.workspace(alice);
    const agentId = await ctx.agent(alice, workspaceId, await ctx.apiKey('s12'));
    const desktop = await ctx.useDesktop(HOST, alice, { workspaceId });
    const localApi = LocalApiFile.parse(JSON.parse(await readFile(join(lab.hostFiles(HOST).home, LOCAL_API_FILE), 'utf8')));
    const gatewayUrl = new URL(localApi.url);
    const gatewayPort = Number(gatewayUrl.port);

    await ctx.check(
      ['NS-26', 'SO-21', 'DE-27', 'DE-31'],
      'the gateway API URL the app uses is plain HTTP on 127.0.0.1',
      async () => {
        assert.deepEqual(
          { protocol: gatewayUrl.protocol, host: gatewayUrl.hostname },
          { protocol: 'http:', host: '127.0.0.1' },
          `local-api.json names ${localApi.url}`,
        );
      },
    );

    await ctx.step('the gateway answers on the host loopback (the probes below can tell)', async () => {
      const own = await lab.driver.probeTcp(HOST, '127.0.0.1', gatewayPort);
      assert.equal(own.ok, true, `the gateway did not accept a loopback connection: ${own.error}`);
    });

    const hostAddresses = await ctx.step(`the addresses of ${HOST} beyond loopback`, async () => {
      const ip = await lab.driver.exec(HOST, 'ip', ['-4', '-o', 'addr', 'show'], { timeoutMs: 20_000 });
      assert.equal(ip.code, 0, `ip addr failed: ${ip.stderr}`);
      const all = [...ip.stdout.matchAll(/inet (\d+\.\d+\.\d+\.\d+)\//g)].map((m) => m[1]!).filter((a) => !isLoopback(a));
      assert.ok(all.includes(hostAddress), `${HOST} does not hold its LAN address ${hostAddress}: ${ip.stdout}`);
      return all;
    });

    const restoreIcmpLimits = await ctx.step(`${HOST} answers every closed port at once (ICMP rate limits lifted)`, async () => {
      const sysctl = (args: string[]) => lab.driver.exec(HOST, 'sysctl', args, { timeoutMs: 20_000 });
      const limits = await sysctl(['-n', ...ICMP_LIMITS]);
      assert.equal(limits.code, 0, `sysctl failed: ${limits.stderr}`);
      const saved = limits.stdout.trim().split('\n');
      const wanted = ICMP_LIMITS.map((k) => (k.endsWith('ratelimit') ? 0 : 1_000_000));
      // a driver whose hosts cannot change their sysctls later (containers) lifts them when it makes the host
      if (saved.every((v, i) => Number(v) === wanted[i])) return async () => undefined;
      const restore = async () => {
        await sysctl(['-w', ...ICMP_LIMITS.map((k, i) => `${k}=${saved[i]}`)]);
      };
      ctx.onCleanup(restore);
      const lifted = await sysctl(['-w', ...ICMP_LIMITS.map((k, i) => `${k}=${wanted[i]}`)]);
      assert.equal(lifted.code, 0, `sysctl -w failed: ${lifted.stderr}`);
      return restore;
    });

    await ctx.check(
      ['NS-01', 'NS-03', 'NS-27', 'NS-46', 'NS-47'],
      `from the neighbour, a sweep of every TCP and UDP port of ${HOST} finds nothing open`,
      async () => {
        for (const address of hostAddresses) {
          const run = await lab.driver.exec(site.neighbour, process.execPath, ['--no-warnings', PORT_SWEEP, address], {
            env: {},
            timeoutMs: 180_000,
          });
          assert.equal(run.code, 0, `the sweep of ${address} failed: ${run.stderr}`);
          const sweep = JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '{}') as SweepResult;
          ctx.note('port.sweep', { from: site.neighbour, ...sweep });
          ctx.metric(`TCP+UDP ports of ${address} swept from ${site.neighbour}`, 2 * 65_535, 'ports');
          assert.deepEqual(
            { tcpOpen: sweep.tcp.open, udpOpen: sweep.udp.open, udpSilent: sweep.udp.silent },
            { tcpOpen: [], udpOpen: [], udpSilent: [] },
            `${site.neighbour} found ports of ${address} (${HOST}) that are not closed`,
          );
          // a port that neither answers nor refuses is unknown, not closed: the sweep must hear every refusal
          assert.deepEqual(sweep.tcp.filtered, [], `TCP ports of ${address} that neither accepted nor refused`);
          assert.equal(sweep.tcp.closed + sweep.udp.closed, 2 * 65_535, 'the sweep did not hear every port refuse');
        }
        await restoreIcmpLimits();
      },
    );

    const listeners = await ctx.check(
      ['NS-27', 'NS-46', 'NS-47'],
      `inside ${HOST}, every listening socket is on loopback, the gateway's on 127.0.0.1 (ss -ltnup)`,
      async () => {
        const ss = await lab.driver.exec(HOST, 'ss', ['-H', '-ltnup'], { timeoutMs: 20_000 });
        assert.equal(ss.code, 0, `ss failed: ${ss.stderr}`);
        const all = parseSs(ss.stdout);
        ctx.note('host.listeners', { host: HOST, listeners: all });
        const exposed = all.filter((l) => !isLoopback(l.address));
        assert.deepEqual(exposed, [], `sockets bound beyond loopback on ${HOST}: ${JSON.stringify(exposed)}`);
        assert.ok(
          all.some((l) => l.netid === 'tcp' && l.port === gatewayPort && l.address === '127.0.0.1'),
          `the gateway port ${gatewayPort} is not among the listeners: ${JSON.stringify(all)}`,
        );
        ctx.metric('listening sockets on the desktop host', all.length, 'sockets');
        return all;
      },
    );

    await ctx.check(
      ['NS-03', 'NS-27', 'NS-47'],
      "the host's listeners do not answer from another desktop, nor on the host's own LAN address",
      async () => {
        const tcpPorts = [...new Set(listeners.filter((l) => l.netid === 'tcp').map((l) => l.port))];
        for (const port of tcpPorts) {
          for (const from of ['s1-d2', HOST]) {
            const probe = await lab.driver.probeTcp(from, hostAddress, port);
            assert.equal(probe.ok, false, `${from} reached ${hostAddress}:${port} (${HOST}'s LAN address)`);
          }
        }
      },
    );

    await ctx.step('a probe from the cloud towards the internet works (so its failures below mean something)', async () => {
      const control = await lab.driver.probeTcp('cloud', addressOf(lab.topology, 'llm'), 443);
      assert.equal(control.ok, true, `the probe from the cloud does not work at all: ${control.error}`);
    });

    await ctx.check(['NS-03', 'NS-16'], 'nothing on the internet can open a connection towards the site', async () => {
      for (const target of [site.wanAddress, hostAddress]) {
        const probe = await lab.driver.probeTcp('cloud', target, gatewayPort);
        assert.equal(probe.ok, false, `the cloud reached ${target}:${gatewayPort}`);
      }
    });

    const hostCapture = await ctx.capture(HOST, 'eth0');
    const wanCapture = await ctx.capture(site.router, 'wan');
    await ctx.step('the apps work while captured: a new WSS, a task with an LLM call, an update check', async () => {
      const mark = desktop.mark();
      await desktop.call('disconnect');
      await desktop.call('connect');
      await desktop.waitForEvent({ event: 'realtime.connected' }, { since: mark, timeoutMs: 30_000 });
      const gateway = lab.service(`${HOST}-gateway`).handle;
      await waitForAgent(desktop, agentId);
      const { taskId } = await desktop.call('startTask', { agentId, prompt: 'hello from S12', steps: 1 });
      const done = await gateway.waitForLine(
        (l) => l.json?.event === 'task.status' && l.json.taskId === taskId && TERMINAL.has(String(l.json.state)),
        60_000,
      );
      assert.equal(done.json?.state, 'completed', `the task ended ${String(done.json?.state)}`);
      // the request is what matters here; with no release published the CDN answers 404
      await desktop.call('checkForUpdate').catch(() => undefined);
    });

    const { hostPcap, syns } = await ctx.step(`the capture on ${HOST} eth0 saw the apps connect`, async () => {
      const file = await hostCapture.stopAndAttach(`${HOST} eth0 while the apps work`);
      const all = await readPcap(file, { filter: 'tcp.flags.syn == 1 && tcp.flags.ack == 0' });
      assert.ok(all.length > 0, 'the capture on eth0 saw no connection at all: it proves nothing');
      return { hostPcap: file, syns: all };
    });

    await ctx.check(['NS-15', 'NS-45'], `every TCP connection of ${HOST} starts with its own SYN`, async () => {
      const inbound = syns.filter((p) => p.src !== hostAddress);
      assert.deepEqual(inbound, [], `connections opened towards ${HOST}: ${JSON.stringify(inbound)}`);
      ctx.metric(`connections opened by ${HOST}`, syns.length, 'connections');
    });

    await ctx.check(
      ['NS-31', 'SO-21', 'DE-28', 'DE-31'],
      `the app↔gateway traffic never leaves the machine: none of it on ${HOST}'s eth0`,
      async () => {
        const local = await readPcap(hostPcap, { filter: `tcp.port == ${gatewayPort} || ip.addr == 127.0.0.1` });
        assert.deepEqual(local, [], `local API traffic appeared on ${HOST}'s eth0`);
      },
    );

    const wan = await ctx.step(`the capture at ${site.router}'s WAN saw the site connect`, async () => {
      const file = await wanCapture.stopAndAttach(`${site.router} WAN while the apps work`);
      const wanSyns = await readPcap(file, { filter: 'tcp.flags.syn == 1 && tcp.flags.ack == 0' });
      assert.ok(wanSyns.length > 0, 'the WAN capture saw no connection at all: it proves nothing');
      return { file, syns: wanSyns };
    });

    await ctx.check(['NS-16', 'NS-45'], 'at the router WAN: no connection from the internet towards the site', async () => {
      const inbound = wan.syns.filter((p) => p.src !== site.wanAddress);
      assert.deepEqual(inbound, [], `SYNs from the internet towards the site: ${JSON.stringify(inbound)}`);
      // UDP: any datagram from the internet must answer one the site sent to that address and port first
      const udp = await readPcap(wan.file, { filter: 'udp' });
      const sent = new Set<string>();
      for (const p of udp) {
        if (p.src === site.wanAddress) sent.add(`${p.dst}:${p.dstPort}`);
        else assert.ok(sent.has(`${p.src}:${p.srcPort}`), `unsolicited UDP from ${p.src}:${p.srcPort} to the site`);
      }
      ctx.metric('connections opened by the site (router WAN)', wan.syns.length, 'connections');
    });
  },
});
