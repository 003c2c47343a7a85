import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { UPSTREAMS } from '@multiclaw-lab/core';
import { pcapContains, readPcap } from '@multiclaw-lab/infra';
import { routes } from '@multiclaw-lab/protocol';
import type { ScenarioContext } from '../context.ts';
import { defineScenario } from '../define.ts';
import { PROTOCOL_VERSION_REFUSAL, startOldTlsServer } from './old-tls-server.ts';
import { runTask } from './synced-instances.ts';

/**
 * Every external MultiClaw endpoint a site talks TLS to, by name (for SNI and the certificate)
 * and address, with the claims its server-side TLS policy judges. The LLM provider is not
 * MultiClaw's server: for it the gateway's side is judged (what it offers and what it refuses).
 */
const TLS_FLOOR = ['SO-20', 'NS-57', 'DE-44', 'DE-48'];
const ENDPOINTS = [
  {
    id: 'cloud',
    name: 'api.multiclaw.test',
    address: UPSTREAMS.api.address,
    claims: [...TLS_FLOOR, 'NS-10', 'DE-29', 'NS-04'],
  },
  { id: 'cdn', name: 'cdn.multiclaw.test', address: UPSTREAMS.cdn.address, claims: TLS_FLOOR },
  { id: 'turn-tls', name: 'turn.multiclaw.test', address: UPSTREAMS['turn-tls'].address, claims: TLS_FLOOR },
] as const;
type Endpoint = (typeof ENDPOINTS)[number];
const LLM = UPSTREAMS.llm.address;
const HOST = 's1-d1';
/** a ClientHello offering TLS 1.0 or 1.1, or a ServerHello that settled on one of them */
const OLD_TLS_HELLO =
  '(tls.handshake.type == 1 && (tls.handshake.extensions.supported_version == 0x0301 || tls.handshake.extensions.supported_version == 0x0302 || tls.handshake.version < 0x0303)) || (tls.handshake.type == 2 && tls.handshake.version < 0x0303)';

const PROBE_HOST = 's1-nb';

interface Handshake {
  ok: boolean;
  /** the protocol openssl reports for the session, e.g. TLSv1.3 */
  protocol: string | undefined;
  /** the subject alternative names of the server's certificate */
  names: string[];
  output: string;
}

/**
 * One TLS handshake from inside a site host with the OS's openssl, verifying against the host's
 * trust store. The old versions get SECLEVEL=0 so that a refusal is the server's, not openssl's.
 */
async function handshake(
  ctx: ScenarioContext,
  endpoint: Endpoint,
  version?: 'tls1' | 'tls1_1' | 'tls1_2' | 'tls1_3',
): Promise<Handshake> {
  const trust = ctx.lab.hostFiles(PROBE_HOST).trustBundle;
  const args = ['s_client', '-connect', `${endpoint.address}:443`, '-servername', endpoint.name, '-CAfile', trust];
  args.push('-verify_return_error', '-showcerts');
  if (version) args.push(`-${version}`);
  if (version === 'tls1' || version === 'tls1_1') args.push('-cipher', 'DEFAULT:@SECLEVEL=0');
  // a server that ignores an old ClientHello leaves openssl waiting: 10 s is plenty here
  const result = await ctx.lab.driver.exec(PROBE_HOST, 'openssl', args, { env: { PATH: process.env.PATH }, timeoutMs: 10_000 });
  const output = `${result.stdout}\n${result.stderr}`;
  const protocol = /^New, ([^,]+), Cipher is/m.exec(result.stdout)?.[1];
  // the server certificate as openssl printed it (first of the chain): its names
  const pem = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(result.stdout)?.[0];
  const names = pem ? [...(new X509Certificate(pem).subjectAltName ?? '').matchAll(/DNS:([^,\s]+)/g)].map((m) => m[1]!) : [];
  return { ok: result.code === 0 && protocol !== undefined && protocol !== '(NONE)', protocol, names, output };
}

/**
 * Every external MultiClaw endpoint (cloud, CDN, TURN over TLS) refuses TLS 1.0 and 1.1, accepts
 * 1.2 and negotiates 1.3 by default, probed from a site host with openssl. The clients hold the
 * same floor themselves: the desktop app and the gateway refuse a server that offers only TLS
 * 1.0/1.1, and on the wire offer nothing below 1.2. A capture of a site desktop's real work
 * (sign-in, WSS, a gateway task and its LLM call) shows only TLS on 443 towards those endpoints
 * and never the plaintext of an HTTP request or a WebSocket upgrade.
 */
export default defineScenario({
  id: 'S09-tls-every-endpoint',
  title:
    'TLS on every external endpoint: 1.0/1.1 refused (servers and clients), 1.2 accepted, 1.3 by default; only TLS on the wire',
  claims: [
    'SO-01',
    'SO-02',
    'SO-06',
    'SO-20',
    'SO-45',
    'DE-01',
    'DE-02',
    'DE-26',
    'DE-29',
    'DE-30',
    'DE-32',
    'DE-44',
    'DE-47',
    'DE-48',
    'NS-01',
    'NS-02',
    'NS-04',
    'NS-09',
    'NS-10',
    'NS-38',
    'NS-57',
  ],
  tags: ['tls', 'network'],
  needs: ['capture', 'host-files', 'ca-key'],
  timeoutMs: 300_000,
  async run(ctx) {
    const { lab } = ctx;
    for (const endpoint of ENDPOINTS) {
      await ctx.check(
        endpoint.claims,
        `${endpoint.name} refuses TLS 1.0 and 1.1, accepts 1.2, negotiates 1.3 by default`,
        async () => {
          const byDefault = await handshake(ctx, endpoint);
          assert.equal(byDefault.ok, true, `${endpoint.name}: a default handshake failed:\n${byDefault.output}`);
          if (byDefault.protocol !== 'TLSv1.3') {
            // "1.3 preferred when both endpoints support it": a lower default is acceptable only
            // when the server cannot do 1.3 at all (Debian's coturn 4.6.1 on the relay cannot)
            const v13 = await handshake(ctx, endpoint, 'tls1_3');
            assert.equal(
              v13.ok,
              false,
              `${endpoint.name}: negotiated ${byDefault.protocol} by default although it speaks TLS 1.3`,
            );
            assert.equal(byDefault.protocol, 'TLSv1.2', `${endpoint.name}: negotiated ${byDefault.protocol} by default`);
            ctx.note('tls.no_tls13', { endpoint: endpoint.name, negotiated: byDefault.protocol });
          }
          ctx.note('tls.negotiated', { endpoint: endpoint.name, protocol: byDefault.protocol, certificate: byDefault.names });
          // DE-48: the certificate presented is issued to the endpoint's own MultiClaw name, and only to MultiClaw names
          assert.ok(
            byDefault.names.includes(endpoint.name),
            `${endpoint.name}: certificate names ${byDefault.names.join(', ') || '(none read)'}`,
          );
          assert.ok(
            byDefault.names.every((n) => n.endsWith('.multiclaw.test')),
            `${endpoint.name}: certificate not only for MultiClaw names: ${byDefault.names.join(', ')}`,
          );

          const v12 = await handshake(ctx, endpoint, 'tls1_2');
          assert.equal(v12.ok, true, `${endpoint.name}: TLS 1.2 was refused:\n${v12.output}`);
          assert.equal(v12.protocol, 'TLSv1.2', `${endpoint.name}: asked for 1.2, got ${v12.protocol}`);

          // both at once: a server that never answers (coturn) costs the probe's whole limit each time
          const olds = ['tls1', 'tls1_1'] as const;
          const attempts = await Promise.all(olds.map((old) => handshake(ctx, endpoint, old)));
          for (const [i, old] of olds.entries()) {
            const refused = attempts[i]!;
            assert.equal(refused.ok, false, `${endpoint.name}: -${old} was accepted (${refused.protocol})`);
            // openssl with SECLEVEL=0 does offer the old version: the refusal is the server's
            assert.doesNotMatch(refused.output, /no protocols available/, `${endpoint.name}: openssl refused -${old} itself`);
            // Node's servers answer with alert 70; coturn never answers an old ClientHello
            const how = /alert protocol version/.test(refused.output) ? 'alert 70 (protocol version)' : 'no ServerHello';
            ctx.note('tls.refused', { endpoint: endpoint.name, version: old, how });
            if (endpoint.id !== 'turn-tls')
              assert.equal(how, 'alert 70 (protocol version)', `${endpoint.name}: -${old} failed otherwise:\n${refused.output}`);
          }
        },
      );
    }

    const alice = await ctx.account('alice');
    const workspaceId = await ctx.workspace(alice);
    const key = await ctx.apiKey('tls');
    const agentId = await ctx.agent(alice, workspaceId, key);

    // --- the clients' own floor: a server that offers only TLS 1.0/1.1 --------------------------
    await ctx.step(`alice on the desktop app of ${HOST}, its gateway linked to her workspace`, () =>
      ctx.useDesktop(HOST, alice, { workspaceId }),
    );
    const old = await ctx.step(`a TLS 1.0/1.1-only server on ${HOST} (certificate from the lab CA)`, () =>
      startOldTlsServer(ctx, HOST),
    );
    const cloudUrl = lab.service(`${HOST}-desktop`).def.env.DESKTOP_CLOUD_URL;
    let pointedAway = false;
    ctx.onCleanup(async () => {
      if (pointedAway) await lab.restart(`${HOST}-desktop`, { env: { DESKTOP_CLOUD_URL: cloudUrl } });
    });
    await ctx.step('the desktop app restarts with that server as its cloud', async () => {
      pointedAway = true;
      await lab.restart(`${HOST}-desktop`, { env: { DESKTOP_CLOUD_URL: old.url } });
    });
    await ctx.check(['NS-10', 'NS-57', 'NS-04'], 'the desktop app refuses a cloud that offers only TLS 1.0/1.1', async () => {
      const outcome = await Promise.race([
        lab
          .desktop(HOST)
          .call('me')
          .then(
            () => new Error('the app completed an HTTPS call to a server that speaks only TLS 1.0/1.1'),
            (err: Error) => err,
          ),
        old.handshakeCompleted().then(() => 'handshake' as const),
      ]);
      assert.notEqual(outcome, 'handshake', 'the app completed a TLS 1.0/1.1 handshake with the server');
      assert.ok(outcome instanceof Error);
      assert.match(outcome.message, PROTOCOL_VERSION_REFUSAL, `the call did not fail on the TLS version: ${outcome.message}`);
    });
    await ctx.step('the desktop app is back on the real cloud', async () => {
      await lab.restart(`${HOST}-desktop`, { env: { DESKTOP_CLOUD_URL: cloudUrl } });
      pointedAway = false;
      await lab.desktop(HOST).waitForEvent({ event: 'realtime.connected' }, { since: 0, timeoutMs: 60_000 });
    });

    const oldAgent = await ctx.step("an agent whose provider is that server reaches the host's gateway", async () => {
      const id = (
        await ctx.api.request(routes.createAgent, {
          credential: alice.bearer,
          params: { wid: workspaceId },
          body: { name: `${ctx.id}-old-tls`, provider: 'lab-llm', model: 'lab-model-1', baseUrl: `${old.url}/v1` },
        })
      ).id;
      await ctx.api.request(routes.setAgentKey, {
        credential: alice.bearer,
        params: { wid: workspaceId, aid: id },
        body: { apiKey: key },
      });
      return id;
    });
    await ctx.check(['NS-57', 'DE-32'], 'the gateway refuses an LLM provider that offers only TLS 1.0/1.1', async () => {
      const desktop = lab.desktop(HOST);
      const task = await Promise.race([
        // settled either way: the loser of the race must not turn into an unhandled rejection
        runTask(ctx, desktop, HOST, oldAgent, 'hello over old TLS').catch((err: unknown) => err as Error),
        old.handshakeCompleted().then(() => 'handshake' as const),
      ]);
      assert.ok(task !== 'handshake', "the gateway completed a TLS 1.0/1.1 handshake with the agent's provider");
      if (task instanceof Error) throw task;
      assert.equal(task.state, 'failed', `a task against a TLS 1.0/1.1-only provider ended ${task.state}`);
      const detail = (await desktop.call('getTask', { taskId: task.taskId })).statuses.at(-1)?.detail ?? '';
      assert.match(detail, PROTOCOL_VERSION_REFUSAL, `the call failed, but not on the TLS version: ${detail}`);
    });

    await ctx.step(`the apps of ${HOST} restart, so every connection they make is a fresh handshake`, async () => {
      await lab.restart(`${HOST}-gateway`);
      await lab.restart(`${HOST}-desktop`);
    });
    const wan = await ctx.capture('s1-rtr', 'wan', 'tcp or udp');
    const desktop = await ctx.step('desktop signs in, opens WSS, links its gateway; a task calls the LLM', async () => {
      const d = await ctx.useDesktop(HOST, alice, { workspaceId });
      const task = await runTask(ctx, d, HOST, agentId, 'hello over TLS');
      assert.equal(task.state, 'completed', `the task ended ${task.state}`);
      return d;
    });
    const file = await wan.stopAndAttach('site WAN during sign-in, WSS and an LLM task');

    await ctx.check(
      [
        'SO-06',
        'DE-26',
        'DE-30',
        'DE-32',
        'DE-47',
        'NS-09',
        'NS-38',
        'SO-45',
        'SO-01',
        'SO-02',
        'NS-01',
        'NS-02',
        'DE-01',
        'DE-02',
      ],
      'the capture: only TLS on 443 to the documented endpoints, no plaintext HTTP or WS',
      async () => {
        const site = '198.18.0.201';
        const packets = await readPcap(file);
        const outbound = packets.filter((p) => p.src === site && p.dstPort !== undefined);
        assert.ok(outbound.length > 0, 'the capture holds no packet from the site');
        const destinations = new Set(outbound.map((p) => `${p.dst}:${p.dstPort}`));
        for (const needed of [UPSTREAMS.api.address, LLM])
          assert.ok(destinations.has(`${needed}:443`), `no connection to ${needed}:443 in ${[...destinations].join(', ')}`);
        for (const p of outbound)
          assert.equal(p.dstPort, 443, `the site sent ${p.proto} to ${p.dst}:${p.dstPort} (not TLS on 443)`);
        const plaintext = await readPcap(file, { filter: 'http || websocket' });
        assert.equal(plaintext.length, 0, `tshark decoded ${plaintext.length} plaintext HTTP/WS packets`);
        // the apps were restarted: the desktop (REST + WSS) and the gateway (WSS, its LLM call) shook hands afresh
        for (const [what, address] of [
          ['the cloud', UPSTREAMS.api.address],
          ['the LLM provider', LLM],
        ] as const) {
          const hellos = await readPcap(file, { filter: `tls.handshake.type == 1 && ip.dst == ${address}` });
          assert.ok(hellos.length > 0, `no TLS ClientHello towards ${what}`);
        }
        for (const needle of ['GET /v1/', 'POST /v1/', 'Upgrade: websocket', 'Authorization: Bearer', 'hello over TLS'])
          assert.equal(await pcapContains(file, needle), false, `the capture holds plaintext "${needle}"`);
        assert.equal(await pcapContains(file, key), false, 'the capture holds the LLM key in plaintext');
        assert.equal(await pcapContains(file, alice.bearer), false, 'the capture holds the bearer in plaintext');
      },
    );

    await ctx.check(
      ['NS-57', 'NS-10', 'NS-04', 'DE-32', 'SO-20'],
      'the apps offer nothing below TLS 1.2 on the wire (to the cloud and to the LLM provider), and no server settled on less',
      async () => {
        const old = await readPcap(file, { filter: OLD_TLS_HELLO });
        const where = old.map((p) => `${p.src} → ${p.dst}:${p.dstPort}`);
        assert.deepEqual(where, [], 'a hello offered or settled on TLS 1.0/1.1');
      },
    );

    await ctx.check(['NS-09', 'DE-47'], 'the cloud saw the REST calls over https and the WSS upgrade (wss://)', async () => {
      const status = await desktop.call('status');
      assert.equal(status.state, 'connected', 'the desktop real-time channel is not connected');
      const opened = ctx.events('cloud', { event: 'ws.opened' });
      assert.ok(opened.length > 0, 'the cloud logged no WebSocket opened during the scenario');
    });
  },
});
