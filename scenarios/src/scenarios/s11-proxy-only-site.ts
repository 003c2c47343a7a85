import assert from 'node:assert/strict';
import { enableProxyOnly, type ProxyOnlyFault } from '@multiclaw-lab/core';
import { addressOf } from '@multiclaw-lab/network';
import { defineScenario } from '../define.ts';
import { runTask } from './synced-instances.ts';

const HOST = 's1-d1';
const API = 'https://api.multiclaw.test/healthz';
/** what a person sets on a proxy-only network; nothing else is configured in MultiClaw */
const NO_PROXY = '127.0.0.1,localhost';
const WITHOUT_PROXY = { HTTP_PROXY: undefined, HTTPS_PROXY: undefined, NO_PROXY: undefined };

/**
 * A proxy-only site: direct egress is blocked and squid on the router is the only way out. With
 * nothing but HTTP_PROXY/HTTPS_PROXY (and NO_PROXY for loopback) in their environment, the
 * desktop app and the local gateway sign in, open their WSS, and run a task with its LLM call —
 * all through squid, whose access log shows their CONNECT tunnels.
 */
export default defineScenario({
  id: 'S11-proxy-only-site',
  title: 'Proxy-only site: desktop and gateway work through HTTP_PROXY/HTTPS_PROXY while direct egress is blocked',
  claims: ['NS-63', 'NS-64'],
  tags: ['network'],
  needs: ['proxy'],
  timeoutMs: 300_000,
  async run(ctx) {
    const { lab } = ctx;
    const alice = await ctx.account('alice');
    const workspaceId = await ctx.workspace(alice);
    const agentId = await ctx.agent(alice, workspaceId, await ctx.apiKey('proxy'));

    const proxy: ProxyOnlyFault = await ctx.fault(enableProxyOnly(lab, 's1'));
    let restored = false;
    ctx.onCleanup(async () => {
      if (!restored) await lab.restartSiteApps('s1', WITHOUT_PROXY);
    });

    await ctx.step('direct egress is blocked; the proxy is the way out', async () => {
      const direct = await lab.httpsProbe(HOST, API, { timeoutMs: 2_000 });
      assert.equal(direct.ok, false, 'a direct request left the proxy-only site');
      const viaProxy = await lab.httpsProbe(HOST, API, { proxy: proxy.proxyUrl });
      assert.equal(viaProxy.ok, true, `the request through squid failed: ${viaProxy.error}`);
    });

    // what a person sets, and nothing else: the harness's own sanity check, not a verdict (the
    // verdict is that the apps then work with direct egress blocked, and squid saw their tunnels)
    await ctx.step('the site apps restarted with only HTTP_PROXY / HTTPS_PROXY / NO_PROXY set', async () => {
      await lab.restartSiteApps('s1', { HTTP_PROXY: proxy.proxyUrl, HTTPS_PROXY: proxy.proxyUrl, NO_PROXY });
      for (const id of [`${HOST}-gateway`, `${HOST}-desktop`]) {
        const env = lab.service(id).def.env;
        const proxyish = Object.keys(env).filter((k) => /proxy/i.test(k));
        assert.deepEqual(proxyish.sort(), ['HTTPS_PROXY', 'HTTP_PROXY', 'NO_PROXY'], `${id} has other proxy settings`);
      }
    });

    const started = Date.now();
    const desktop = await ctx.check(
      ['NS-63', 'NS-64'],
      'with direct egress blocked and only the proxy variables set: sign-in, the WSS and the gateway link work',
      () => ctx.useDesktop(HOST, alice, { workspaceId }),
    );
    ctx.metric('sign-in to gateway linked through the proxy', Date.now() - started, 'ms');

    await ctx.check(['NS-63', 'NS-64'], "a gateway task's LLM call works with direct egress blocked", async () => {
      const task = await runTask(ctx, desktop, HOST, agentId, 'hello through the proxy');
      assert.equal(task.state, 'completed', `the task ended ${task.state}`);
    });

    await ctx.step('the apps restart without proxy variables, which ends their tunnels', async () => {
      // squid logs a tunnel when it ends
      await lab.restartSiteApps('s1', WITHOUT_PROXY);
      restored = true;
    });
    await ctx.check(
      ['NS-63'],
      "squid's access log shows the apps' CONNECT tunnels to the cloud and the LLM provider",
      async () => {
        const client = addressOf(lab.topology, HOST);
        for (const name of ['api.multiclaw.test:443', 'api.llm.test:443']) {
          const entry = await proxy.squid.waitForAccess(
            (e) => e.method === 'CONNECT' && e.client === client && e.url === name && e.status === 200,
            30_000,
          );
          ctx.note('squid.tunnel', { ...entry });
        }
        const log = await proxy.squid.accessLog();
        const fromHost = log.filter((e) => e.client === client);
        const notConnect = fromHost.filter((e) => e.method !== 'CONNECT');
        assert.deepEqual(notConnect, [], 'the apps sent plain HTTP through the proxy instead of tunnelling TLS');
        ctx.metric('CONNECT tunnels from the desktop host', fromHost.length, 'tunnels');
      },
    );

    await ctx.heal(proxy);
    await ctx.step('direct egress back: the apps, now without proxy variables, reconnect', async () => {
      assert.equal((await lab.httpsProbe(HOST, API)).ok, true, 'direct egress did not come back');
      const d = lab.desktop(HOST);
      await d.waitForEvent({ event: 'realtime.connected' }, { since: 0, timeoutMs: 90_000 });
      await lab.service(`${HOST}-gateway`).handle.waitForLog({ event: 'ws.welcome' }, 90_000);
    });
  },
});
