import { once } from 'node:events';
import { createServer } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway } from './gateway.ts';
import { FAST, linkedHome } from './test-support/homes.ts';
import { captureLogs } from './test-support/log-capture.ts';
import { StandInCloud } from './test-support/stand-in-cloud.ts';

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
});
