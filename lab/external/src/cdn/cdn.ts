import { type Clock, createLogger, type Logger, logReady, systemClock } from '@multiclaw-lab/kit';
import {
  generateMinisignKeyPair,
  type MinisignSecretKey,
  minisignPublicKeyText,
  ProtocolError,
  parseOrThrow,
} from '@multiclaw-lab/protocol';
import Fastify, { type FastifyInstance } from 'fastify';
import { z } from 'zod';
import { listenOnAdminSocket } from '../common/admin-socket.ts';
import { installErrorHandling } from '../common/http-errors.ts';
import { logRequests } from '../common/request-log.ts';
import { closerFor, listeningPort, originFor, type ServiceHandle } from '../common/service.ts';
import { serverTlsOptions, type TlsFiles } from '../common/tls.ts';
import { Channel, PublishReleaseRequest } from './admin-api.ts';
import { ReleaseStore } from './releases.ts';

export interface CdnOptions {
  tls: TlsFiles;
  /** bind address (default 127.0.0.1) */
  host?: string;
  /** TCP port (default 0: any free port) */
  port?: number;
  /** unix socket of the admin API; created with mode 0600 */
  adminSocketPath: string;
  /** origin written into manifests, e.g. https://cdn.multiclaw.test (default: the handle's url) */
  publicBaseUrl?: string;
  /** minisign key that signs releases (default: a new key made at start) */
  signingKey?: MinisignSecretKey;
  clock?: Clock;
  logger?: Logger;
}

export interface CdnHandle extends ServiceHandle {
  readonly adminSocketPath: string;
  /** the .pub text of the signing key: what the desktop app has built in */
  readonly publicKeyText: string;
}

const FileParams = z.object({ channel: Channel, file: z.string().min(1).max(200) });

export async function startCdn(options: CdnOptions): Promise<CdnHandle> {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? createLogger({ service: 'cdn' });
  const own = options.signingKey ?? generateMinisignKeyPair().secretKey;
  const stranger = generateMinisignKeyPair().secretKey;
  const publicKeyText = minisignPublicKeyText(own);
  let publicBaseUrl = options.publicBaseUrl?.replace(/\/+$/, '');
  const store = new ReleaseStore({ own, stranger }, () => publicBaseUrl!);

  const api = Fastify({ https: serverTlsOptions(options.tls), logger: false });
  const admin = Fastify({ logger: false });
  const close = closerFor(api, admin);
  try {
    buildPublicApi(api, store, logger);
    buildAdminApi(admin, store, publicKeyText, clock, logger);
    await api.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 0 });
    await listenOnAdminSocket(admin, options.adminSocketPath);
  } catch (err) {
    await close();
    throw err;
  }

  const port = listeningPort(api);
  const url = originFor(options.host ?? '127.0.0.1', port);
  publicBaseUrl ??= url;
  logReady(logger, { url, port, publicBaseUrl, adminSocketPath: options.adminSocketPath, keyId: own.keyId });
  return { url, port, adminSocketPath: options.adminSocketPath, publicKeyText, close, [Symbol.asyncDispose]: close };
}

function buildPublicApi(app: FastifyInstance, store: ReleaseStore, logger: Logger): void {
  installErrorHandling(app, logger);
  logRequests(app, logger);

  app.get('/updates/:channel/:file', async (request, reply) => {
    const { channel, file } = parseOrThrow(FileParams, request.params);
    const manifest = store.manifest(channel);
    if (!manifest) throw new ProtocolError('not_found', `no releases on channel "${channel}"`);
    // Clients must see a new release at once; a real CDN would purge this path on publish.
    void reply.header('cache-control', 'no-cache');
    if (file === 'latest.json') return manifest;
    const served = store.file(channel, file);
    if (!served) throw new ProtocolError('not_found', `no file "${file}" on channel "${channel}"`);
    return reply.type(served.contentType).send(served.bytes);
  });
}

function buildAdminApi(app: FastifyInstance, store: ReleaseStore, publicKeyText: string, clock: Clock, logger: Logger): void {
  installErrorHandling(app, logger);
  logRequests(app, logger, { api: 'admin' });

  app.post('/admin/releases', async (request, reply) => {
    const release = store.publish(parseOrThrow(PublishReleaseRequest, request.body), new Date(clock.now()));
    logger.info(
      { event: 'cdn.release.published', channel: release.channel, version: release.version, variant: release.variant },
      'release published',
    );
    return reply.status(201).send(release);
  });
  app.get('/admin/releases', async () => ({ releases: store.releases() }));
  app.get('/admin/public-key', async (_request, reply) => reply.type('text/plain').send(publicKeyText));
}
