import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConnectProxy } from './testing/connect-proxy.ts';
import { appFor, tempDir } from './testing/helpers.ts';
import { StandInCloud } from './testing/stand-in-cloud.ts';
import { StandInGateway } from './testing/stand-in-gateway.ts';

const EMAIL = 'ada@example.test';
const PASSWORD = 'PLANTED-password-px0001';
const PROXY_VARIABLES = ['HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY', 'http_proxy', 'https_proxy', 'no_proxy'];

/**
 * The app reads the proxy variables from its environment, like the real app launched from a
 * shell profile; each test sets them before creating the app and they are cleared afterwards.
 */
describe('HTTP_PROXY / HTTPS_PROXY / NO_PROXY', () => {
  let cloud: StandInCloud;
  let proxy: ConnectProxy;
  let gateway: StandInGateway;
  const saved = Object.fromEntries(PROXY_VARIABLES.map((k) => [k, process.env[k]]));

  beforeAll(async () => {
    cloud = await StandInCloud.start({ users: [{ email: EMAIL, password: PASSWORD }] });
    proxy = await ConnectProxy.start();
    gateway = await StandInGateway.start(await tempDir('gw-home'));
  });
  afterEach(() => {
    for (const k of PROXY_VARIABLES) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
    proxy.targets.length = 0;
    proxy.forwarded.length = 0;
  });
  afterAll(async () => {
    await gateway.close();
    await proxy.close();
    await cloud.close();
  });

  it('sends REST and the WSS through the proxy named by HTTPS_PROXY (CONNECT), TLS still verified end to end', async () => {
    for (const k of PROXY_VARIABLES) delete process.env[k];
    process.env.HTTPS_PROXY = proxy.url;
    const { app } = await appFor(cloud);
    await using _ = app;
    await app.signIn(EMAIL, PASSWORD);
    const restTunnels = proxy.targets.length;
    expect(restTunnels).toBeGreaterThanOrEqual(1);
    const connection = cloud.nextConnection();
    await app.connect();
    await connection;
    const target = `127.0.0.1:${cloud.port}`;
    expect(proxy.targets.every((t) => t === target)).toBe(true);
    // the token mint (REST) may reuse the first tunnel; the WSS always opens its own
    expect(proxy.targets.length).toBeGreaterThan(restTunnels);
  });

  it('goes direct for hosts in NO_PROXY, REST and WSS alike', async () => {
    for (const k of PROXY_VARIABLES) delete process.env[k];
    process.env.HTTPS_PROXY = proxy.url;
    process.env.NO_PROXY = '127.0.0.1';
    const { app } = await appFor(cloud);
    await using _ = app;
    await app.signIn(EMAIL, PASSWORD);
    await app.connect();
    expect(proxy.targets).toEqual([]);
    expect(cloud.latest!.socket.readyState).toBe(1);
  });

  it('never sends loopback gateway traffic through the proxy', async () => {
    for (const k of PROXY_VARIABLES) delete process.env[k];
    process.env.HTTP_PROXY = proxy.url;
    process.env.HTTPS_PROXY = proxy.url;
    const { app } = await appFor(cloud, { gatewayHome: gateway.home });
    await using _ = app;
    await app.gatewayStatus();
    expect(gateway.requests.at(-1)!.path).toBe('/v1/status');
    expect(proxy.targets).toEqual([]);
    expect(proxy.forwarded).toEqual([]);
  });
});
