import type { AddressInfo } from 'node:net';
import { createLogger, systemClock } from '@multiclaw-lab/kit';
import { SERVER_TLS_POLICY } from '@multiclaw-lab/pki/tls-policy';
import Fastify, { LogController } from 'fastify';
import pg from 'pg';
import { Passwords } from './auth/passwords.ts';
import { WssTokens } from './auth/wss-tokens.ts';
import type { Ctx } from './context.ts';
import { LocalMasterKeyProvider } from './crypto/key-provider.ts';
import { migrate } from './db/migrate.ts';
import { installCors } from './http/cors.ts';
import { installErrorHandling } from './http/errors.ts';
import { installJsonParser } from './http/json-body.ts';
import { mutant } from './mutant.ts';
import type { CloudHandle, CloudOptions } from './options.ts';
import { settingsFrom } from './options.ts';
import { Cluster } from './realtime/cluster.ts';
import { ConfigSyncer } from './realtime/config-sync.ts';
import { Hub } from './realtime/hub.ts';
import { RtcRelay } from './realtime/rtc-relay.ts';
import { attachRealtime } from './realtime/server.ts';
import { accountRoutes } from './routes/accounts.ts';
import { agentRoutes } from './routes/agents.ts';
import { instanceRoutes } from './routes/instances.ts';
import { realtimeRoutes } from './routes/realtime.ts';
import { recordRoutes } from './routes/records.ts';
import { serviceRoutes } from './routes/service.ts';
import { workspaceRoutes } from './routes/workspaces.ts';

/**
 * Connections the kernel may hold for the cloud before it accepts them. When thousands of apps
 * reconnect at once, the event loop is busy with TLS handshakes and the queue fills: past it the
 * kernel drops SYNs, which clients send again only after 1 s and 3 s (and a load balancer in front
 * counts as failed connections). Node's default is 511; the kernel caps it at net.core.somaxconn.
 */
const LISTEN_BACKLOG = 4096;

/** Starts MultiClaw Cloud: migrations, then REST and WSS on one HTTPS port. */
export async function startCloud(options: CloudOptions): Promise<CloudHandle> {
  const clock = options.clock ?? systemClock;
  const nodeName = options.nodeName ?? 'cloud';
  const logger = options.logger ?? createLogger({ service: 'cloud', base: { node: nodeName } });
  const settings = settingsFrom(options);
  const db = new pg.Pool({ connectionString: options.databaseUrl, max: 20 });
  db.on('error', (err) => logger.error({ event: 'db.error', err }, 'idle database connection failed'));

  try {
    await migrate(db, clock, logger);
  } catch (err) {
    await db.end();
    throw err;
  }

  const hub = new Hub(logger);
  const cluster = new Cluster({ name: nodeName, databaseUrl: options.databaseUrl, db, hub, logger });
  // `sync` and `rtc` need the context themselves, so they are filled in right after.
  const ctx = {
    db,
    clock,
    logger,
    hub,
    cluster,
    settings,
    keys: options.keyProvider ?? new LocalMasterKeyProvider(options.secrets.masterKey),
    tokens: new WssTokens(options.secrets.tokenSecret, clock),
    passwords: new Passwords(settings.bcryptCost),
  } as Ctx;
  ctx.sync = new ConfigSyncer(ctx);
  ctx.rtc = new RtcRelay(ctx);

  const app = Fastify({
    https: {
      cert: options.tls.cert,
      key: options.tls.key,
      ...(options.tls.ticketKeys ? { ticketKeys: options.tls.ticketKeys } : {}),
      ...(mutant('cloud-accepts-tls-1-0') ? { minVersion: 'TLSv1' as const, ciphers: 'DEFAULT:@SECLEVEL=0' } : SERVER_TLS_POLICY),
    },
    loggerInstance: logger,
    // We log one `http.request` line per request ourselves (below), without headers.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: settings.bodyLimitBytes,
    return503OnClosing: true,
    // Long path ids reach our own check (400 with an ErrorBody) instead of the router's bare 414.
    routerOptions: { maxParamLength: 2048 },
  });
  installErrorHandling(app, logger);
  installJsonParser(app);
  await installCors(app, options.corsOrigins ?? []);
  app.addHook('onResponse', async (request, reply) => {
    logger.info(
      {
        event: 'http.request',
        method: request.method,
        route: request.routeOptions.url ?? 'unmatched',
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime),
      },
      'request',
    );
  });
  // Every REST route, listed once at start (debug): the tests compare it with the protocol's route
  // table, so a route registered outside the table (or one of the table left out) fails them.
  const routeList: string[] = [];
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) {
      if (method !== 'HEAD' && method !== 'OPTIONS') routeList.push(`${method} ${route.url}`);
    }
  });
  for (const routes of [
    accountRoutes,
    workspaceRoutes,
    instanceRoutes,
    agentRoutes,
    recordRoutes,
    realtimeRoutes,
    serviceRoutes,
  ]) {
    routes(app, ctx);
  }
  await app.ready();
  logger.debug({ event: 'http.routes', routes: routeList }, 'REST routes');

  const realtime = attachRealtime(ctx, app.server);
  const host = options.host ?? '127.0.0.1';
  try {
    await cluster.start();
    await app.listen({ host, port: options.port ?? 0, backlog: LISTEN_BACKLOG });
  } catch (err) {
    await realtime.close();
    await cluster.stop();
    await db.end();
    throw err;
  }
  const port = (app.server.address() as AddressInfo).port;
  const url = `https://${host.includes(':') ? `[${host}]` : host}:${port}`;

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      logger.info({ event: 'stopping' }, 'stopping');
      await realtime.close();
      await app.close();
      await cluster.stop();
      await db.end();
      logger.info({ event: 'stopped' }, 'stopped');
    })();
    return closing;
  };
  return { url, port, sweepNow: realtime.sweepNow, close, [Symbol.asyncDispose]: close };
}
