import { once } from 'node:events';
import { createServer } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { deriveInstanceKey, seal } from '@multiclaw-lab/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway } from './gateway.ts';
import { FAST, GATEWAY_TOKEN, INSTANCE_ID, linkedHome, WORKSPACE_ID } from './test-support/homes.ts';
import { captureLogs } from './test-support/log-capture.ts';
import { StandInCloud } from './test-support/stand-in-cloud.ts';
import { startStandInLlm } from './test-support/stand-in-llm.ts';

/** A minimal HTTP CONNECT proxy on loopback that records every tunnel it opens. */
async function startConnectProxy() {
  const tunnels: string[] = [];
  const server = createServer((_req, res) => res.writeHead(405).end());
  server.on('connect', (req, client, head) => {
    tunnels.push(String(req.url));
    const [host, port] = String(req.url).split(':');
    if (host !== '127.0.0.1') return client.end('HTTP/1.1 403 Forbidden\r\n\r\n');
    const upstream = connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, tunnels, server };
}

let proxy: Awaited<ReturnType<typeof startConnectProxy>>;
let cloud: StandInCloud;
const saved = { ...process.env };

beforeAll(async () => {
  proxy = await startConnectProxy();
  cloud = await StandInCloud.start();
});
afterAll(async () => {
  process.env = saved;
  await cloud.close();
  proxy.server.closeAllConnections();
  proxy.server.close();
});

describe('proxy support', () => {
  it('sends the token mint and the WSS through HTTPS_PROXY', async () => {
    // This file runs in its own worker (pool: forks), so changing the environment is contained.
    process.env.HTTPS_PROXY = proxy.url;
    delete process.env.NO_PROXY;
    delete process.env.no_proxy;
    const logs = captureLogs();
    const gateway = await startGateway({
      home: await linkedHome(cloud.url),
      mode: 'local',
      logger: logs.logger,
      ca: cloud.ca,
      ...FAST,
    });
    try {
      await cloud.connection(1);
      const target = new URL(cloud.url).host;
      // one tunnel for POST /v1/realtime/token (undici) and one for the WSS upgrade (ws)
      expect(proxy.tunnels.filter((t) => t === target).length).toBeGreaterThanOrEqual(2);
      expect(await logs.waitFor({ event: 'ws.connecting' })).toMatchObject({ proxied: true });
    } finally {
      await gateway.close();
    }
  });

  it('calls the LLM provider through HTTPS_PROXY, and goes direct to a host named in NO_PROXY', async () => {
    await using llm = await startStandInLlm();
    const cloudHost = new URL(cloud.url).host;
    const llmHost = new URL(llm.baseUrl).host;
    // Both listen on 127.0.0.1, so NO_PROXY names the cloud by host:port: the cloud goes direct,
    // the provider through the proxy.
    process.env.HTTPS_PROXY = proxy.url;
    process.env.NO_PROXY = cloudHost;
    delete process.env.no_proxy;
    const before = proxy.tunnels.length;
    const logs = captureLogs();
    const connections = cloud.connections.length;
    const gateway = await startGateway({
      home: await linkedHome(cloud.url),
      mode: 'local',
      logger: logs.logger,
      ca: [cloud.ca, llm.ca],
      ...FAST,
    });
    try {
      await cloud.connection(connections + 1);
      expect(await logs.waitFor({ event: 'ws.connecting' })).toMatchObject({ proxied: false });
      const apiKey = 'PLANTED-proxy-llm-key-5be1';
      const version = 100;
      cloud.sendConfig({
        version,
        workspaceId: WORKSPACE_ID,
        instanceId: INSTANCE_ID,
        agents: [
          {
            id: 'a1',
            name: 'Agent',
            provider: 'lab',
            model: 'lab-model',
            baseUrl: llm.baseUrl,
            apiKey: seal(apiKey, deriveInstanceKey(GATEWAY_TOKEN, INSTANCE_ID), INSTANCE_ID, 'a1'),
          },
        ],
      });
      await cloud.until(() => cloud.configAcks.includes(version));
      const started = await fetch(`${gateway.url}/v1/tasks`, {
        method: 'POST',
        headers: { authorization: `Bearer ${gateway.sessionToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ agentId: 'a1', prompt: 'through the proxy', steps: 1, stepMs: 0 }),
      }).then((r) => r.json() as Promise<{ taskId: string }>);
      await logs.waitFor({ event: 'task.status', taskId: started.taskId, state: 'completed' });
      expect(llm.bearers).toEqual([apiKey]);
      const tunnels = proxy.tunnels.slice(before);
      expect(tunnels).toContain(llmHost);
      expect(tunnels).not.toContain(cloudHost);
    } finally {
      await gateway.close();
    }
  });
});
