import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readPcap } from '@multiclaw-lab/infra';
import { addressOf, PROBE_PORTS, PUBLIC_NAMES } from '@multiclaw-lab/network';
import type { ScenarioContext } from '../context.ts';
import { waitForAgent } from '../scenarios/synced-instances.ts';
import { defineChecker } from './checker.ts';
import { NotEnoughEvidence, runWithScenarioContext } from './scenario-context.ts';

const HOST = 's1-d1';
const TERMINAL = new Set(['completed', 'failed', 'interrupted']);

/** The documented table (network-security: outbound connections and ports), with the lab's names. */
const ALLOWED: Array<{ name: string; ports: Record<'tcp' | 'udp', number[]> }> = [
  { name: PUBLIC_NAMES.api, ports: { tcp: [443], udp: [] } },
  { name: PUBLIC_NAMES.turn, ports: { tcp: [443], udp: [3478, 5349] } },
  { name: PUBLIC_NAMES.cdn, ports: { tcp: [443], udp: [] } },
  { name: PUBLIC_NAMES.llm, ports: { tcp: [443], udp: [] } },
];
/**
 * The harness's own probes that cross a site's WAN: the fault checks of S21, S22 and S25 send UDP
 * from a desktop of site s1 to an echo they start on the relay or the cloud desktop, on these
 * ports of the probe range. Exactly these flows are the lab's; anything else — on a probe port
 * or not — is the product's and must be in the documented table.
 */
const LAB_PROBE_FLOWS: Array<{ site: string; to: string; port: number; proto: 'udp' }> = [
  { site: 's1', to: 'relay', port: PROBE_PORTS.max, proto: 'udp' },
  { site: 's1', to: 'cd1', port: PROBE_PORTS.max, proto: 'udp' },
  { site: 's1', to: 'relay', port: PROBE_PORTS.max - 1, proto: 'udp' },
  { site: 's1', to: 'relay', port: PROBE_PORTS.max - 2, proto: 'udp' },
];
/** ports on which the table promises TLS (HTTPS, WSS, TURN over TLS) */
const TLS_PORTS = new Set([443, 5349]);

/**
 * The run-wide capture is still being written: copy it up to its last complete record, so the
 * reader never trips over a half-written packet at the end. (Classic pcap: a 24-byte file
 * header, then records of a 16-byte header whose third word is the captured length.)
 */
async function completeCopy(src: string, dst: string): Promise<void> {
  const bytes = await readFile(src);
  const magic = bytes.readUInt32LE(0);
  const little = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  const u32 = (at: number) => (little ? bytes.readUInt32LE(at) : bytes.readUInt32BE(at));
  let end = 24;
  while (end + 16 <= bytes.length) {
    const next = end + 16 + u32(end + 8);
    if (next > bytes.length) break;
    end = next;
  }
  await writeFile(dst, bytes.subarray(0, end));
}

/** what the audit's first check judges: every connection went to a documented host and port */
const DOCUMENTED_DESTINATION_CLAIMS = [
  'SO-01',
  'SO-02',
  'SO-33',
  'SO-40',
  'SO-41',
  'SO-42',
  'NS-45',
  'NS-48',
  'NS-49',
  'NS-50',
  'NS-51',
  'NS-52',
  'NS-53',
  'NS-54',
];
/** what its second judges: every TCP connection on a TLS port starts with a TLS handshake */
const TLS_ONLY_CLAIMS = ['NS-02', 'NS-49', 'NS-52', 'NS-53', 'NS-58', 'SO-06', 'DE-26', 'DE-47'];

export const EGRESS_AUDIT_CLAIMS = [...new Set([...DOCUMENTED_DESTINATION_CLAIMS, ...TLS_ONLY_CLAIMS])];

/**
 * The egress audit over the whole run, a whole-run checker: it runs after whatever scenarios a run
 * selected (before the capture stops and before the lab's own scanners, nmap and testssl, send
 * their traffic). Every connection a site opened towards the internet (everything leaves through
 * its router's WAN address) goes to a host and port of the documented table, and every TCP
 * connection on a TLS port starts with a TLS handshake; there is nothing else — no telemetry, no
 * undocumented host. It first makes the site do what it normally does (the app starts, works,
 * checks for updates), so the audit has something to judge even after a short run; an audit that
 * saw no app traffic has not enough evidence, which is not a pass.
 */
async function audit(ctx: ScenarioContext): Promise<string> {
  const { lab } = ctx;
  if (ctx.egressCaptures.length === 0) throw new NotEnoughEvidence('the run made no egress capture (a driver without captures?)');

  await ctx.step(
    'the site does what it normally does: the app starts, signs in, opens its WSS, runs a task with an LLM call, checks for updates',
    async () => {
      // a start of the app is part of normal use, and the moment an app would phone home
      await lab.restart(`${HOST}-desktop`);
      const alice = await ctx.account('alice');
      const workspaceId = await ctx.workspace(alice);
      const agentId = await ctx.agent(alice, workspaceId, await ctx.apiKey('egress-audit'));
      const desktop = await ctx.useDesktop(HOST, alice, { workspaceId });
      await waitForAgent(desktop, agentId);
      const { taskId } = await desktop.call('startTask', { agentId, prompt: 'hello from the egress audit', steps: 1 });
      const gateway = lab.service(`${HOST}-gateway`).handle;
      const done = await gateway.waitForLine(
        (l) => l.json?.event === 'task.status' && l.json.taskId === taskId && TERMINAL.has(String(l.json.state)),
        60_000,
      );
      assert.equal(done.json?.state, 'completed');
      // whatever the CDN holds right now (even nothing), the check makes the connection
      await desktop.call('checkForUpdate').catch(() => undefined);
    },
  );

  const dir = await mkdtemp(join(tmpdir(), 'egress-audit-'));
  ctx.onCleanup(() => rm(dir, { recursive: true, force: true }));
  const address = (name: string) => lab.topology.names[name] ?? name;
  const allowed = new Map<string, string>();
  for (const row of ALLOWED)
    for (const proto of ['tcp', 'udp'] as const)
      for (const port of row.ports[proto]) allowed.set(`${address(row.name)}:${port}/${proto}`, row.name);

  // The ports table does not list it, but the viewer section does: "the two endpoints negotiate a
  // direct connection when possible" — UDP straight to a cloud desktop (any port ICE picks) is
  // documented there, and shown as its own row so it stays visible.
  const cloudDesktops = new Set(lab.hostsByRole('cloud-desktop').map((h) => addressOf(lab.topology, h.id)));
  const probeFlows = new Set(LAB_PROBE_FLOWS.map((f) => `${f.site} ${addressOf(lab.topology, f.to)}:${f.port}/${f.proto}`));
  const rowOf = (site: string, key: string): string | null => {
    const known = allowed.get(key);
    if (known) return known;
    // exactly the harness's own probe flows (other scenarios' fault checks), not the product
    if (probeFlows.has(`${site} ${key}`)) return 'lab probe (harness, not MultiClaw)';
    const m = /^([\d.]+):(\d+)\/(udp|tcp)$/.exec(key);
    return m && m[3] === 'udp' && cloudDesktops.has(m[1]!) ? 'cloud desktop, direct WebRTC (Cloud desktop viewer section)' : null;
  };
  for (const capture of ctx.egressCaptures) {
    const site = lab.topology.sites.find((s) => s.id === capture.site)!;
    const wan = site.wanAddress;
    const file = join(dir, `egress-${site.id}.pcap`);
    await completeCopy(capture.file, file);

    const table = await ctx.step(`${site.id}: the egress audit table of the whole run`, async () => {
      const counts = new Map<string, number>();
      const syns = await readPcap(file, { filter: `ip.src == ${wan} && tcp.flags.syn == 1 && tcp.flags.ack == 0` });
      for (const p of syns) {
        const key = `${p.dst}:${p.dstPort}/tcp`;
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
      // a UDP "connection" is one (source port, destination) flow; ICMP errors quoting a UDP
      // header (the router refusing a late packet) are not connections
      const udpFlows = new Set<string>();
      for (const p of await readPcap(file, { filter: `ip.src == ${wan} && udp && !icmp` })) {
        if (udpFlows.has(`${p.srcPort} ${p.dst}:${p.dstPort}`)) continue;
        udpFlows.add(`${p.srcPort} ${p.dst}:${p.dstPort}`);
        const key = `${p.dst}:${p.dstPort}/udp`;
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
      const pings = await readPcap(file, { filter: `ip.src == ${wan} && icmp.type == 8` });
      for (const p of pings) counts.set(`${p.dst}/icmp-echo`, (counts.get(`${p.dst}/icmp-echo`) ?? 0) + 1);
      const rows = [...counts.entries()].sort().map(([key, n]) => ({ key, connections: n, row: rowOf(site.id, key) }));
      for (const r of rows) ctx.metric(`egress ${site.id} ${r.key} (${r.row ?? 'UNDOCUMENTED'})`, r.connections, 'connections');
      const summary = join(dir, `egress-audit-${site.id}.json`);
      await writeFile(summary, `${JSON.stringify({ site: site.id, wan, table: rows }, null, 2)}\n`);
      await ctx.attach(`egress audit of site ${site.id}`, summary, 'json');
      // not enough evidence is not a pass: the audit must have seen the apps at work
      if (syns.length === 0)
        throw new NotEnoughEvidence(`the egress capture of ${site.id} holds no connection at all: it proves nothing`);
      if (!rows.some((r) => r.row === PUBLIC_NAMES.api) || !rows.some((r) => r.row === PUBLIC_NAMES.llm))
        throw new NotEnoughEvidence(`the audit of ${site.id} did not even see the cloud and the LLM provider: it proves nothing`);
      return rows;
    });

    await ctx.check(
      DOCUMENTED_DESTINATION_CLAIMS,
      `${site.id}: every connection of the whole run went to a documented host and port`,
      async () => {
        const undocumented = table.filter((r) => r.row === null);
        assert.deepEqual(undocumented, [], `connections outside the documented table from ${site.id}`);
      },
    );

    await ctx.check(
      TLS_ONLY_CLAIMS,
      `${site.id}: every TCP connection on a TLS port starts with a TLS handshake; no plain HTTP`,
      async () => {
        const seenSyns = await readPcap(file, { filter: `ip.src == ${wan} && tcp.flags.syn == 1 && tcp.flags.ack == 0` });
        const firsts = new Map<number, string>();
        const payloads = await readPcap(file, { filter: `ip.src == ${wan} && tcp.len > 0`, payload: true });
        for (const p of payloads) {
          if (p.stream === undefined || !TLS_PORTS.has(p.dstPort ?? 0) || firsts.has(p.stream)) continue;
          firsts.set(p.stream, p.payloadHex ?? '');
        }
        // a stream opened during the capture must start with a handshake; one already open when the
        // capture began (the apps' long-lived WSS) must still be in TLS records
        const opened = new Set(seenSyns.map((p) => p.stream));
        const notTls = [...firsts.entries()].filter(([stream, hex]) =>
          opened.has(stream) ? !hex.startsWith('1603') : !/^1[4-7]03/.test(hex),
        );
        assert.deepEqual(notTls, [], 'TCP streams on 443/5349 that did not start with a TLS record');
        ctx.metric(`TLS connections checked at ${site.id}`, firsts.size, 'connections');
        const plain = await readPcap(file, { filter: 'http || websocket' });
        assert.deepEqual(plain.length, 0, `${plain.length} plaintext HTTP/WebSocket packets on ${site.id}'s WAN`);
      },
    );
  }

  await ctx.check(
    ['SO-33', 'SO-42'],
    'the cloud received no request outside its documented API during this scenario',
    async () => {
      const unmatched = ctx.events('cloud', { event: 'http.request', route: 'unmatched' });
      assert.deepEqual(unmatched, [], 'requests to routes the API does not have (telemetry?)');
    },
  );
  return `${ctx.egressCaptures.length} site(s) audited`;
}

export default defineChecker({
  id: 'egress-audit',
  title: 'Egress audit over the whole run: only the documented hosts and ports, all TLS, no telemetry',
  claims: [...EGRESS_AUDIT_CLAIMS],
  timeoutMs: 300_000,
  run: (ctx) => runWithScenarioContext(ctx, 'egress-audit', EGRESS_AUDIT_CLAIMS, audit),
});
