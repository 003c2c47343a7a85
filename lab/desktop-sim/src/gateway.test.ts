import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LOCAL_API_FILE } from '@multiclaw-lab/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appFor, tempDir } from './testing/helpers.ts';
import { StandInCloud } from './testing/stand-in-cloud.ts';
import { StandInGateway } from './testing/stand-in-gateway.ts';

const EMAIL = 'ada@example.test';
const PASSWORD = 'PLANTED-password-gw0001';

describe('the local gateway over loopback', () => {
  let cloud: StandInCloud;
  let gateway: StandInGateway;

  beforeAll(async () => {
    cloud = await StandInCloud.start({ users: [{ email: EMAIL, password: PASSWORD }] });
    gateway = await StandInGateway.start(await tempDir('gw-home'));
  });
  afterAll(async () => {
    await gateway.close();
    await cloud.close();
  });

  it('links the gateway: a workspace token from the cloud, handed to the gateway with its session token', async () => {
    const { app, lines } = await appFor(cloud, { gatewayHome: gateway.home, deviceName: 'laptop' });
    await using _ = app;
    await app.signIn(EMAIL, PASSWORD);
    expect(await app.linkGateway('w1')).toEqual({ workspaceId: 'w1', instanceId: 'i1' });
    const issue = cloud.requests.at(-1)!;
    expect(issue).toMatchObject({ method: 'POST', path: '/v1/workspaces/w1/gateway-tokens', body: { deviceName: 'laptop' } });
    const link = gateway.requests.at(-1)!;
    const authToken = cloud.issued.at(-1)!;
    expect(link).toMatchObject({ method: 'PUT', path: '/v1/workspace', authorization: `Bearer ${gateway.token}` });
    expect(link.body).toEqual({ cloudUrl: cloud.url, workspaceId: 'w1', instanceId: 'i1', authToken });
    const text = lines.join('\n');
    expect(text).toContain('"event":"gateway.linked"');
    expect(text).not.toContain(authToken);
    expect(text).not.toContain(gateway.token);
  });

  it('starts and reads tasks and reads the gateway status', async () => {
    const { app } = await appFor(cloud, { gatewayHome: gateway.home });
    await using _ = app;
    expect(await app.startTask({ agentId: 'a1', prompt: 'hello' })).toEqual({ taskId: 't1', conversationId: 'c1' });
    expect((await app.getTask('t1')).state).toBe('completed');
    expect((await app.gatewayStatus()).workspace.linked).toBe(true);
    expect(gateway.requests.at(-3)!.body).toEqual({ agentId: 'a1', prompt: 'hello' });
  });

  it('refuses a local API file that points off the machine, without sending the token', async () => {
    const home = await tempDir('gw-bad');
    const { mkdir } = await import('node:fs/promises');
    await mkdir(join(home, '.openclaw/run'), { recursive: true });
    await writeFile(join(home, LOCAL_API_FILE), JSON.stringify({ url: 'http://198.18.0.9:1', token: 'x'.repeat(40), pid: 1 }));
    const { app } = await appFor(cloud, { gatewayHome: home });
    await using _ = app;
    await expect(app.gatewayStatus()).rejects.toMatchObject({ code: 'gateway_not_local' });
  });

  it('says the gateway is not running when its file is missing', async () => {
    const { app } = await appFor(cloud, { gatewayHome: await tempDir('gw-none') });
    await using _ = app;
    await expect(app.gatewayStatus()).rejects.toMatchObject({ code: 'gateway_not_running' });
  });
});
