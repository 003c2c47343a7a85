/**
 * Serve mode against stand-ins (cloud, local gateway, update CDN), with every result checked
 * against its schema in lab/protocol's command table as the harness would receive it. A result
 * schema that does not describe what a command really returns fails here, in the simulator's own
 * tests, rather than in a scenario run.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import {
  DESKTOP_COMMAND_LIST,
  type DesktopCommandArgs,
  type DesktopCommandName,
  type DesktopResultLine,
  generateMinisignKeyPair,
  LAB_PLATFORM,
  type MinisignSecretKey,
  signMinisign,
  tauriSignatureFromMinisig,
} from '@multiclaw-lab/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveCommands } from './serve.ts';
import { appFor, tempDir } from './testing/helpers.ts';
import { StandInCloud } from './testing/stand-in-cloud.ts';
import { StandInGateway } from './testing/stand-in-gateway.ts';

const INVITATION = {
  id: 'inv1',
  workspaceId: 'w1',
  workspaceName: 'lab',
  email: 'bob@example.test',
  role: 'member',
  status: 'pending',
};
const EMAIL = 'ada@example.test';
const PASSWORD = 'PLANTED-password-serve-5c21';
const AT = '2026-03-31T00:00:00.000Z';

/** Commands this test cannot run against stand-ins, and why. */
const NOT_RUN_HERE: Partial<Record<DesktopCommandName, string>> = {
  viewDesktop: 'needs a WebRTC cloud desktop: lab/core/test/webrtc-loopback.test.ts checks its result through the driver',
  crash: 'ends the process it runs in: crash-report.test.ts runs it in a child process',
};

const AGENT = {
  id: 'a1',
  workspaceId: 'w1',
  name: 'helper',
  provider: 'openai',
  model: 'gpt-lab',
  baseUrl: 'https://api.llm.test/v1',
  key: { set: false, fingerprint: null, updatedAt: null },
};

/** What the stand-in cloud answers beyond sign-in, /me, gateway tokens and WSS tokens. */
const CLOUD_ANSWERS: Record<string, { status: number; body?: unknown }> = {
  'POST /v1/auth/password': { status: 204 },
  'POST /v1/workspaces': { status: 201, body: { id: 'w1', name: 'lab', role: 'owner' } },
  'GET /v1/workspaces/w1/members': {
    status: 200,
    body: { members: [{ userId: 'u1', email: EMAIL, name: 'Ada', role: 'owner' }] },
  },
  'POST /v1/workspaces/w1/invitations': {
    status: 201,
    body: INVITATION,
  },
  'GET /v1/invitations': { status: 200, body: { invitations: [INVITATION] } },
  'POST /v1/invitations/inv1/accept': { status: 200, body: { id: 'w1', name: 'lab', role: 'member' } },
  'DELETE /v1/workspaces/w1/members/u2': { status: 204 },
  'POST /v1/workspaces/w1/members/u2/sign-out': { status: 204 },
  'POST /v1/workspaces/w1/agents': { status: 201, body: AGENT },
  'GET /v1/workspaces/w1/agents': { status: 200, body: { agents: [AGENT] } },
  'PUT /v1/workspaces/w1/agents/a1/key': {
    status: 200,
    body: { ...AGENT, key: { set: true, fingerprint: 'sha256:0123abcd', updatedAt: AT } },
  },
  'DELETE /v1/workspaces/w1/agents/a1/key': { status: 200, body: AGENT },
  'GET /v1/workspaces/w1/instances': {
    status: 200,
    body: {
      instances: [
        { id: 'i1', workspaceId: 'w1', name: 'laptop', kind: 'gateway', userId: 'u1', connected: true, configVersion: 1 },
      ],
    },
  },
  'PUT /v1/workspaces/w1/instances/cd1/viewers/u2': { status: 204 },
  'GET /v1/workspaces/w1/tasks/t1/statuses': {
    status: 200,
    body: {
      statuses: [{ taskId: 't1', seq: 1, state: 'running', detail: 'step 1', at: AT, instanceId: 'i1', receivedAt: AT }],
    },
  },
  'GET /v1/workspaces/w1/transcripts/c1': {
    status: 200,
    body: { conversationId: 'c1', instanceId: 'i1', revision: 1, messages: [{ role: 'user', content: 'hello', at: AT }] },
  },
};

/** A stand-in update CDN: static files over HTTPS with a certificate of the stand-in cloud's CA. */
async function startCdn(cloud: StandInCloud): Promise<{ url: string; files: Map<string, Buffer>; server: Server }> {
  const files = new Map<string, Buffer>();
  const leaf = await cloud.ca.issue(['localhost', '127.0.0.1']);
  const server = createServer({ cert: leaf.chainPem, key: leaf.keyPem }, (req, res) => {
    const body = files.get(req.url ?? '');
    if (!body) return void res.writeHead(404).end();
    res.writeHead(200).end(body);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`, files, server };
}

describe('serve mode: each result is what the command table says', () => {
  let cloud: StandInCloud;
  let gateway: StandInGateway;
  let cdn: Awaited<ReturnType<typeof startCdn>>;

  beforeAll(async () => {
    cloud = await StandInCloud.start({ users: [{ email: EMAIL, password: PASSWORD }], answers: CLOUD_ANSWERS });
    gateway = await StandInGateway.start(await tempDir('serve-gw'));
    cdn = await startCdn(cloud);
  });
  afterAll(async () => {
    cdn.server.closeAllConnections();
    await new Promise<void>((resolve) => cdn.server.close(() => resolve()));
    await gateway.close();
    await cloud.close();
  });

  function publish(version: string, secretKey: MinisignSecretKey): void {
    const file = `/files/multiclaw-${version}.bin`;
    const data = Buffer.from(`MultiClaw ${version}\n`);
    cdn.files.set(file, data);
    const signature = tauriSignatureFromMinisig(signMinisign(data, secretKey));
    const manifest = { version, pub_date: AT, platforms: { [LAB_PLATFORM]: { url: `${cdn.url}${file}`, signature } } };
    cdn.files.set('/updates/stable/latest.json', Buffer.from(JSON.stringify(manifest)));
  }

  it('answers every command it can run here with a result its schema accepts', async () => {
    const release = generateMinisignKeyPair();
    const { app, lines } = await appFor(cloud, {
      gatewayHome: gateway.home,
      cdnUrl: cdn.url,
      updatePublicKey: release.publicKeyText,
      version: '1.0.0',
    });
    const input = new PassThrough();
    const serving = serveCommands(app, input, { checkResults: true });
    const ran = new Set<string>();
    let nextId = 1;

    /** Sends one command and resolves with its result; a failure (a result outside its schema too) fails the test. */
    async function run<K extends DesktopCommandName>(cmd: K, args: DesktopCommandArgs<K>): Promise<unknown> {
      const id = `t${nextId++}`;
      input.write(`${JSON.stringify({ id, cmd, args })}\n`);
      for (;;) {
        const answer = lines.map((l) => JSON.parse(l) as DesktopResultLine).find((l) => l.event === 'result' && l.id === id);
        if (answer) {
          expect(answer.ok ? undefined : answer.error, `${cmd}`).toBeUndefined();
          ran.add(cmd);
          return answer.ok ? answer.result : undefined;
        }
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    }

    try {
      expect(await run('status', {})).toMatchObject({ state: 'signed-out', signedIn: false, user: null });
      await run('signIn', { email: EMAIL, password: PASSWORD });
      await run('me', {});
      await run('connect', {});
      expect(await run('sendSignal', { frame: { type: 'rtc.candidate' }, waitMs: 100 })).toEqual({ answered: false });
      expect(await run('disconnect', {})).toEqual({ state: 'signed-in' });

      await run('createWorkspace', { name: 'lab' });
      await run('listMembers', { workspaceId: 'w1' });
      await run('inviteMember', { workspaceId: 'w1', email: 'bob@example.test' });
      await run('listInvitations', {});
      await run('acceptInvitation', { invitationId: 'inv1' });
      await run('removeMember', { workspaceId: 'w1', userId: 'u2' });
      await run('forceSignOut', { workspaceId: 'w1', userId: 'u2' });
      const agent = { name: 'helper', provider: 'openai', model: 'gpt-lab', baseUrl: AGENT.baseUrl };
      await run('createAgent', { workspaceId: 'w1', ...agent });
      await run('listAgents', { workspaceId: 'w1' });
      await run('setAgentKey', { workspaceId: 'w1', agentId: 'a1', apiKey: 'PLANTED-key-serve-0001' });
      await run('deleteAgentKey', { workspaceId: 'w1', agentId: 'a1' });
      await run('listInstances', { workspaceId: 'w1' });
      await run('grantViewer', { workspaceId: 'w1', instanceId: 'cd1', userId: 'u2' });
      await run('taskStatuses', { workspaceId: 'w1', taskId: 't1' });
      await run('transcript', { workspaceId: 'w1', conversationId: 'c1' });

      await run('linkGateway', { workspaceId: 'w1' });
      await run('gatewayStatus', {});
      await run('startTask', { agentId: 'a1', prompt: 'hello' });
      await run('getTask', { taskId: 't1' });
      await run('listConversations', {});
      await run('getConversation', { conversationId: 'c1' });
      await run('unlinkGateway', {});

      // the three shapes of an update check: installed, up to date, and refused
      publish('1.1.0', release.secretKey);
      expect(await run('checkForUpdate', {})).toMatchObject({ status: 'installed', version: '1.1.0' });
      expect(await run('checkForUpdate', {})).toMatchObject({ status: 'up-to-date', latestVersion: '1.1.0' });
      publish('1.2.0', generateMinisignKeyPair().secretKey);
      expect(await run('checkForUpdate', {})).toMatchObject({ status: 'rejected', code: 'key_mismatch' });

      await run('changePassword', { currentPassword: PASSWORD, newPassword: 'PLANTED-password-serve-new' });
      expect(await run('status', {})).toMatchObject({ signedIn: true, version: '1.1.0' });
      expect(await run('signOut', {})).toEqual({ revokedByCloud: true });
    } finally {
      input.end();
      await serving;
      await app.close();
    }

    const notRun = DESKTOP_COMMAND_LIST.map((c) => c.name).filter((name) => !ran.has(name));
    expect(notRun.sort(), 'commands of the table this test neither runs nor says why').toEqual(Object.keys(NOT_RUN_HERE).sort());
  });
});
