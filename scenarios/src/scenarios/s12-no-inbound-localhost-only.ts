import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
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

/**
 * Nothing on a site can be reached from outside the machine: the gateway's API answers on the
 * host's loopback only (not from the neighbour, another desktop or the host's own LAN address),
 * the desktop host listens on nothing but loopback, nothing on the internet can open a
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
  needs: ['capture'],
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

    await ctx.step('the gateway API URL is plain HTTP on 127.0.0.1', async () => {
      assert.deepEqual(
        { protocol: gatewayUrl.protocol, host: gatewayUrl.hostname },
        { protocol: 'http:', host: '127.0.0.1' },
        `local-api.json names ${localApi.url}`,
      );
    });

    const listeners = await ctx.step('the desktop host listens on loopback only (ss -ltnup inside the host)', async () => {
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
    });

    await ctx.step('the gateway answers on the host loopback (the probe works)', async () => {
      const own = await lab.driver.probeTcp(HOST, '127.0.0.1', gatewayPort);
      assert.equal(own.ok, true, `the gateway did not accept a loopback connection: ${own.error}`);
    });

    await ctx.step('nothing answers from the neighbour, another desktop, or the host LAN address', async () => {
      const tcpPorts = [...new Set(listeners.filter((l) => l.netid === 'tcp').map((l) => l.port))];
      for (const port of tcpPorts) {
        for (const from of [site.neighbour, 's1-d2', HOST]) {
          const probe = await lab.driver.probeTcp(from, hostAddress, port);
          assert.equal(probe.ok, false, `${from} reached ${hostAddress}:${port} (${HOST}'s LAN address)`);
        }
      }
    });

    await ctx.step('nothing on the internet can open a connection towards the site', async () => {
      const control = await lab.driver.probeTcp('cloud', addressOf(lab.topology, 'llm'), 443);
      assert.equal(control.ok, true, `the probe from the cloud does not work at all: ${control.error}`);
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

    await ctx.step('every TCP connection of the desktop host starts with its own SYN; no local API traffic on eth0', async () => {
      const file = await hostCapture.stopAndAttach(`${HOST} eth0 while the apps work`);
      const syns = await readPcap(file, { filter: 'tcp.flags.syn == 1 && tcp.flags.ack == 0' });
      assert.ok(syns.length > 0, 'the capture on eth0 saw no connection at all: it proves nothing');
      const inbound = syns.filter((p) => p.src !== hostAddress);
      assert.deepEqual(inbound, [], `connections opened towards ${HOST}: ${JSON.stringify(inbound)}`);
      ctx.metric(`connections opened by ${HOST}`, syns.length, 'connections');
      const local = await readPcap(file, { filter: `tcp.port == ${gatewayPort} || ip.addr == 127.0.0.1` });
      assert.deepEqual(local, [], `local API traffic appeared on ${HOST}'s eth0`);
    });

    await ctx.step('at the router WAN: no connection from the internet towards the site', async () => {
      const file = await wanCapture.stopAndAttach(`${site.router} WAN while the apps work`);
      const syns = await readPcap(file, { filter: 'tcp.flags.syn == 1 && tcp.flags.ack == 0' });
      assert.ok(syns.length > 0, 'the WAN capture saw no connection at all: it proves nothing');
      const inbound = syns.filter((p) => p.src !== site.wanAddress);
      assert.deepEqual(inbound, [], `SYNs from the internet towards the site: ${JSON.stringify(inbound)}`);
      // UDP: any datagram from the internet must answer one the site sent to that address and port first
      const udp = await readPcap(file, { filter: 'udp' });
      const sent = new Set<string>();
      for (const p of udp) {
        if (p.src === site.wanAddress) sent.add(`${p.dst}:${p.dstPort}`);
        else assert.ok(sent.has(`${p.src}:${p.srcPort}`), `unsolicited UDP from ${p.src}:${p.srcPort} to the site`);
      }
      ctx.metric('connections opened by the site (router WAN)', syns.length, 'connections');
    });
  },
});
