import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { answersTo, CLOUD_GROUP } from '@multiclaw-lab/core';
import { readPcap } from '@multiclaw-lab/infra';
import { addressOf } from '@multiclaw-lab/network';
import {
  isSealed,
  keyFingerprint,
  OPENCLAW_CONFIG_FILE,
  OPENCLAW_DIR,
  type OpenclawAgent,
  OpenclawConfig,
  routes,
} from '@multiclaw-lab/protocol';
import { dumpDatabase } from '../canary.ts';
import type { ScenarioContext } from '../context.ts';
import { defineScenario } from '../define.ts';
import { localGateway, runTask, waitForSync } from './synced-instances.ts';

const HOST = 's1-d3';
const GATEWAY = `${HOST}-gateway`;
const DESKTOP = `${HOST}-desktop`;
const LOCAL_AGENT_ID = 'agt_local_s19';
const HAND_EDITED_MODEL = 'lab-model-hand-edited';

/**
 * Credentials that live only on the user's machine. On a gateway linked to no workspace, the
 * user types a local-only agent with a plaintext key into openclaw.json (gateway stopped, file
 * kept 0600) — as documented, the file is plain JSON without an encryption layer of MultiClaw's —
 * and a hand edit of the model is what the next task uses. Linking the gateway to a workspace and
 * syncing config then leaves that key on the host: the cloud's database and logs never see it
 * (the canary scan allows it in exactly that one file). Finally the desktop app crashes: its
 * crash report stays in the profile and the host opens no connection on the way down.
 */
export default defineScenario({
  id: 'S19-local-only-credentials',
  title: 'Local-only key stays local (never reaches the cloud); hand edits of plain-JSON config apply; crash log stays local',
  claims: ['SO-26', 'SO-34', 'DE-17'],
  tags: ['local', 'keys'],
  needs: ['capture', 'process-faults', 'host-files'],
  desktopHosts: 3,
  timeoutMs: 300_000,
  async run(ctx) {
    const { lab } = ctx;
    const home = lab.hostFiles(HOST).home;
    const configFile = join(home, OPENCLAW_CONFIG_FILE);
    const alice = await ctx.account('alice');
    const workspaceId = await ctx.workspace(alice);
    const cloudAgentId = await ctx.agent(alice, workspaceId, await ctx.apiKey('s19-synced'));
    // Not in the `sk-` shape on purpose: the log scrubber masks that shape, so a leak of this one would show.
    const localKey = ctx.plant(`lab-local-only-${randomBytes(16).toString('hex')}`, 'key of a local-only agent', {
      allowedIn: [configFile],
    });
    await lab.llmAdmin.registerKey(localKey);

    const desktop = await ctx.step(`${HOST}: desktop signed out, gateway linked to no workspace`, async () => {
      const d = lab.desktop(HOST);
      if ((await d.call('status')).signedIn) await d.call('signOut');
      await d.call('unlinkGateway');
      const st = await d.call('gatewayStatus');
      assert.equal(st.workspace.linked, false, 'the gateway still reports a workspace after unlinking');
      return d;
    });

    await ctx.step('the user adds a local-only agent with a plaintext key to openclaw.json by hand', async () => {
      const agent: OpenclawAgent = {
        id: LOCAL_AGENT_ID,
        name: 'my own agent',
        provider: 'lab-llm',
        model: 'lab-model-1',
        baseUrl: 'https://api.llm.test/v1',
        apiKey: localKey,
      };
      await editConfigByHand(ctx, configFile, (c) => ({
        ...c,
        agents: [...c.agents.filter((a) => a.id !== LOCAL_AGENT_ID), agent],
      }));
    });

    await ctx.check(['DE-17'], 'a task with the local-only agent reaches the provider with the key as typed', async () => {
      await expectOneCall(ctx, localKey, 'lab-model-1', () => runTask(ctx, desktop, HOST, LOCAL_AGENT_ID, 'local only, first'));
    });

    await ctx.step('the user edits the model of the local agent in openclaw.json by hand', async () => {
      await editConfigByHand(ctx, configFile, (c) => ({
        ...c,
        agents: c.agents.map((a) => (a.id === LOCAL_AGENT_ID ? { ...a, model: HAND_EDITED_MODEL } : a)),
      }));
    });

    await ctx.check(['DE-17'], 'a model edited by hand in openclaw.json is what the next task uses', async () => {
      await expectOneCall(ctx, localKey, HAND_EDITED_MODEL, () =>
        runTask(ctx, desktop, HOST, LOCAL_AGENT_ID, 'local only, after the hand edit'),
      );
    });

    const synced = await ctx.step('signed in and linked to a workspace: the workspace agent syncs down', async () => {
      const before = (await stat(configFile)).mtimeMs;
      await ctx.useDesktop(HOST, alice, { workspaceId });
      const { config } = await waitForSync(
        ctx,
        localGateway(HOST),
        0,
        (c) => c.workspace?.workspaceId === workspaceId && c.agents.some((a) => a.id === cloudAgentId && a.apiKey !== null),
        'the workspace agent',
      );
      assert.ok((await stat(configFile)).mtimeMs > before, 'the gateway did not rewrite openclaw.json when syncing');
      return config;
    });

    await ctx.check(
      ['DE-17'],
      'after the sync the local agent and its key are in openclaw.json as the user wrote them, and still work',
      async () => {
        const config = synced;
        const local = config.agents.find((a) => a.id === LOCAL_AGENT_ID);
        assert.equal(local?.apiKey, localKey, 'the sync dropped or changed the local-only agent');
        // the key is used while linked too, and still goes to the provider only
        await expectOneCall(ctx, localKey, HAND_EDITED_MODEL, () =>
          runTask(ctx, desktop, HOST, LOCAL_AGENT_ID, 'local only, while linked'),
        );
      },
    );

    await ctx.check(
      ['DE-17'],
      'every file the gateway wrote is plain JSON; the only sealed values are the synced enc: keys',
      async () => {
        const text = await readFile(configFile, 'utf8');
        const config = OpenclawConfig.parse(JSON.parse(text));
        assert.equal(config.agents.find((a) => a.id === LOCAL_AGENT_ID)?.model, HAND_EDITED_MODEL, 'the hand edit was lost');
        for (const a of config.agents) {
          if (a.apiKey === null) continue;
          if (a.id === LOCAL_AGENT_ID) assert.equal(a.apiKey, localKey, 'the local key is not kept as the user wrote it');
          else assert.ok(isSealed(a.apiKey), `agent ${a.id}: a synced key that is not enc:`);
        }
        const entries = await readdir(join(home, OPENCLAW_DIR), { recursive: true, withFileTypes: true });
        let files = 0;
        // an atomic write's temporary file (`.<name>.<hex>.tmp`) is transient and may be partial: skipped
        for (const e of entries.filter((x) => x.isFile() && !/^\..+\.[0-9a-f]+\.tmp$/.test(x.name))) {
          const path = join(e.parentPath, e.name);
          const body = await readFile(path, 'utf8');
          const docs = path.endsWith('.jsonl') ? body.split('\n').filter((l) => l.trim()) : [body];
          for (const d of docs) assert.doesNotThrow(() => JSON.parse(d), `${path} is not plain JSON`);
          files++;
        }
        ctx.metric(`plain JSON files under ~/.openclaw on ${HOST}`, files, 'files');
      },
    );

    const dump = await ctx.step("a dump of the cloud's database, holding this run's data", async () => {
      const file = join(await mkdtemp(join(tmpdir(), 's19-dump-')), 'database.sql');
      assert.equal(await dumpDatabase(lab, file), true, 'the database could not be dumped');
      const text = await readFile(file, 'utf8');
      assert.ok(
        text.includes(workspaceId) && text.includes(alice.email),
        'the dump does not hold this run’s data: it proves nothing',
      );
      return text;
    });

    // SO-26 ("The desktop app does not send stored credentials to MultiClaw Cloud") is a promise
    // about what the cloud ends up holding, so the cloud is searched: its database, its log and
    // what its API says of every agent's key. Whether the local agent's *definition* may reach the
    // cloud is not asked here: data-encryption says agent definitions sync once connected, while
    // the security overview names only transcripts as syncing and keeps agents local by default.
    await ctx.check(
      ['SO-26'],
      'the cloud has no trace of the local key: not in a database dump, not in its log, not as any agent’s key',
      async () => {
        assert.equal(dump.includes(localKey), false, 'the local-only key is in the cloud database');
        const cloudLines = lab.history.filter((s) => answersTo(s.def, CLOUD_GROUP)).flatMap((s) => s.handle.lines);
        assert.ok(cloudLines.length > 0, 'no cloud log lines to search');
        assert.equal(cloudLines.filter((l) => l.text.includes(localKey)).length, 0, 'the local-only key is in the cloud log');
        const listed = await ctx.api.request(routes.listAgents, { credential: alice.bearer, params: { wid: workspaceId } });
        const carrying = listed.agents.filter((a) => a.key.fingerprint === keyFingerprint(localKey));
        assert.deepEqual(carrying, [], 'the cloud holds the local key as an agent’s key');
      },
    );

    await ctx.step('the user removes the local-only agent again (the lab stays as it was)', async () => {
      await editConfigByHand(ctx, configFile, (c) => ({ ...c, agents: c.agents.filter((a) => a.id !== LOCAL_AGENT_ID) }));
      assert.equal((await readFile(configFile, 'utf8')).includes(localKey), false);
    });

    const hostAddress = addressOf(lab.topology, HOST);
    const crashDir = join(home, '.multiclaw-desktop', 'crash-reports');
    const earlier = new Set(await readdir(crashDir).catch(() => [] as string[]));
    const crash = await ctx.step('the desktop app crashes while its host is captured (the gateway stopped)', async () => {
      // the gateway is stopped meanwhile so that every packet of the host is the desktop app's
      ctx.onCleanup(async () => {
        if (!lab.service(GATEWAY).handle.running) await lab.restart(GATEWAY);
        if (!lab.service(DESKTOP).handle.running) await lab.restart(DESKTOP);
      });
      await lab.stop(GATEWAY);
      const capture = await ctx.capture(HOST, 'eth0', 'tcp or udp');
      const app = lab.service(DESKTOP).handle;
      const cloudFrom = Date.now();
      await lab.desktop(HOST).call('crash', { message: 'S19 simulated crash' });
      const exit = await app.waitForExit();
      assert.notEqual(exit.code, 0, `the crashed app exited with ${exit.code}`);
      const pcap = await capture.stopAndAttach(`${HOST} eth0 while the desktop app crashed`);
      // a request of the harness's own after the exit: once the cloud has logged it, it has logged
      // every request that reached it while the app went down (with several instances, each had
      // long logged what the app sent before it died)
      const marker = await ctx.api.raw('GET', '/healthz');
      assert.equal(marker.status, 200, 'the cloud does not answer the marker request');
      await ctx.waitForLog('cloud', { event: 'http.request', route: '/healthz' }, { since: cloudFrom, timeoutMs: 10_000 });
      const logged = ctx.events('cloud', { event: 'http.request' }, cloudFrom);
      const requests = logged.slice(
        0,
        logged.findLastIndex((l) => l.route === '/healthz'),
      );
      const closes = await readPcap(pcap, { filter: `ip.src == ${hostAddress} && (tcp.flags.fin == 1 || tcp.flags.reset == 1)` });
      assert.ok(closes.length > 0, 'the capture did not even see the app’s connection close: it proves nothing');
      return { pcap, requests };
    });

    await ctx.check(['SO-34'], 'the crash log stays on the machine: nothing is sent, the cloud receives nothing', async () => {
      const fromHost = (await readPcap(crash.pcap)).filter((p) => p.src === hostAddress);
      const opened = await readPcap(crash.pcap, {
        filter: `ip.src == ${hostAddress} && tcp.flags.syn == 1 && tcp.flags.ack == 0`,
      });
      assert.deepEqual(opened, [], 'the host opened a connection while the app crashed');
      assert.deepEqual(
        await readPcap(crash.pcap, { filter: `ip.src == ${hostAddress} && udp` }),
        [],
        'the host sent UDP while crashing',
      );
      // over a connection the app already had open, an upload would show no SYN: the cloud's side
      assert.deepEqual(crash.requests, [], 'the cloud received requests while the app crashed');
      ctx.metric('packets from the host while the app crashed (closing only)', fromHost.length, 'packets');

      const reports = (await readdir(crashDir)).filter((f) => !earlier.has(f));
      assert.equal(reports.length, 1, `crash reports written: ${JSON.stringify(reports)}`);
      const reportFile = join(crashDir, reports[0]!);
      assert.equal(((await stat(reportFile)).mode & 0o777).toString(8), '600', 'the crash report mode');
      const report = JSON.parse(await readFile(reportFile, 'utf8')) as { error?: { message?: string; stack?: string } };
      assert.equal(report.error?.message, 'S19 simulated crash', 'the crash report does not hold the error');
      assert.ok(report.error?.stack?.includes('S19 simulated crash'), 'the crash report has no stack');
      const storage = JSON.parse(await readFile(join(home, '.multiclaw-desktop', 'local-storage.json'), 'utf8')) as Record<
        string,
        string
      >;
      const bearer = storage['multiclaw.bearer'] ?? '';
      assert.ok(bearer.length > 0 && !(await readFile(reportFile, 'utf8')).includes(bearer), 'the crash report holds the bearer');
    });

    await ctx.step('restarted, the app is signed in and connected again; the gateway is back in the workspace', async () => {
      await lab.restart(GATEWAY);
      await lab.service(GATEWAY).handle.waitForLine((l) => l.json?.event === 'ws.welcome', 30_000);
      await lab.restart(DESKTOP);
      const again = lab.desktop(HOST);
      const status = await again.call('status');
      if (!status.signedIn) await ctx.useDesktop(HOST, alice, { workspaceId });
      else await again.waitForEvent({ event: 'realtime.connected' }, { timeoutMs: 30_000 });
      assert.equal((await again.call('status')).signedIn, true, 'the app is not signed in after restart');
    });
  },
});

/** As a user would: stop the gateway, edit openclaw.json (it stays 0600), start the gateway again. */
async function editConfigByHand(
  ctx: ScenarioContext,
  file: string,
  change: (c: OpenclawConfig) => OpenclawConfig,
): Promise<void> {
  await ctx.lab.stop(GATEWAY);
  ctx.onCleanup(async () => {
    if (!ctx.lab.service(GATEWAY).handle.running) await ctx.lab.restart(GATEWAY);
  });
  const current = OpenclawConfig.parse(JSON.parse(await readFile(file, 'utf8')));
  // writeFile on the existing file keeps its owner and mode
  await writeFile(file, `${JSON.stringify(change(current), null, 2)}\n`);
  assert.equal(((await stat(file)).mode & 0o777).toString(8), '600', 'openclaw.json mode after the hand edit');
  await ctx.lab.restart(GATEWAY);
}

/** Runs `task` and checks the provider saw exactly one call from it, with `key` and `model`, answered 200. */
async function expectOneCall(
  ctx: ScenarioContext,
  key: string,
  model: string,
  task: () => Promise<{ state: string }>,
): Promise<void> {
  const before = (await ctx.lab.llmAdmin.calls()).length;
  const result = await task();
  assert.equal(result.state, 'completed', `the task ended ${result.state}`);
  const after = (await ctx.lab.llmAdmin.calls()).slice(before);
  assert.deepEqual(
    after.map((c) => [c.fingerprint, c.model, c.status]),
    [[keyFingerprint(key), model, 200]],
    `the provider's call log: ${JSON.stringify(after)}`,
  );
}
