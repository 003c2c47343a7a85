import { type Clock, createLogger, type Logger, logReady, nowIso, systemClock } from '@multiclaw-lab/kit';
import { ChatCompletionRequest, ProtocolError, parseOrThrow, RegisterKeyRequest } from '@multiclaw-lab/protocol';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { listenOnAdminSocket } from '../common/admin-socket.ts';
import { type HttpRefusal, installErrorHandling } from '../common/http-errors.ts';
import { logRequests } from '../common/request-log.ts';
import { closerFor, listeningPort, originFor, type ServiceHandle } from '../common/service.ts';
import { serverTlsOptions, type TlsFiles } from '../common/tls.ts';
import { FingerprintParam } from './admin-api.ts';
import { CallLog } from './calls.ts';
import { KeyRegistry } from './keys.ts';
import { completionFor } from './reply.ts';

export interface LlmProviderOptions {
  tls: TlsFiles;
  /** bind address (default 127.0.0.1) */
  host?: string;
  /** TCP port (default 0: any free port) */
  port?: number;
  /** unix socket of the admin API; created with mode 0600 */
  adminSocketPath: string;
  clock?: Clock;
  logger?: Logger;
}

export interface LlmProviderHandle extends ServiceHandle {
  /** OpenAI-style base URL, `${url}/v1`, the value an agent's baseUrl takes */
  readonly baseUrl: string;
  readonly adminSocketPath: string;
}

/** Room for generous conversations (a message may hold 100 000 characters) without unbounded memory. */
const BODY_LIMIT_BYTES = 8 * 1024 * 1024;

/**
 * OpenAI's error format: the gateway talks to this service as it would to a real provider.
 * 401s carry OpenAI's `invalid_api_key` code.
 */
function renderProviderError(r: HttpRefusal): unknown {
  const code = r.code === 'unauthenticated' ? 'invalid_api_key' : r.code;
  return { error: { message: r.message, type: r.status >= 500 ? 'server_error' : 'invalid_request_error', code } };
}

/** The key in `Authorization: Bearer <key>`, or undefined. */
function bearerKey(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  return match?.[1];
}

export async function startLlmProvider(options: LlmProviderOptions): Promise<LlmProviderHandle> {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? createLogger({ service: 'llm-provider' });
  const keys = new KeyRegistry();
  const calls = new CallLog();

  const api = Fastify({ https: serverTlsOptions(options.tls), bodyLimit: BODY_LIMIT_BYTES, logger: false });
  const admin = Fastify({ logger: false });
  const close = closerFor(api, admin);
  try {
    buildPublicApi(api, { keys, calls, clock, logger });
    buildAdminApi(admin, { keys, calls, clock, logger });

    await api.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 0 });
    await listenOnAdminSocket(admin, options.adminSocketPath);
  } catch (err) {
    await close();
    throw err;
  }

  const port = listeningPort(api);
  const url = originFor(options.host ?? '127.0.0.1', port);
  logReady(logger, { url, port, baseUrl: `${url}/v1`, adminSocketPath: options.adminSocketPath });
  return {
    url,
    port,
    baseUrl: `${url}/v1`,
    adminSocketPath: options.adminSocketPath,
    close,
    [Symbol.asyncDispose]: close,
  };
}

interface Deps {
  keys: KeyRegistry;
  calls: CallLog;
  clock: Clock;
  logger: Logger;
}

function buildPublicApi(app: FastifyInstance, { keys, calls, clock, logger }: Deps): void {
  installErrorHandling(app, logger, renderProviderError);
  logRequests(app, logger);
  // What each request presented, for the call log; filled in as far as the request got.
  const seen = new WeakMap<FastifyRequest, { fingerprint: string | null; model: string | null }>();
  let completions = 0;

  app.addHook('onRequest', async (request) => {
    const key = bearerKey(request);
    seen.set(request, { fingerprint: key === undefined ? null : keys.check(key).fingerprint, model: null });
  });
  app.addHook('onResponse', async (request, reply) => {
    const call = seen.get(request) ?? { fingerprint: null, model: null };
    calls.record({ at: nowIso(clock), ...call, status: reply.statusCode });
    logger.info({ event: 'llm.call', ...call, status: reply.statusCode }, 'call');
  });

  const authenticate = async (request: FastifyRequest) => {
    const key = bearerKey(request);
    if (key === undefined) {
      throw new ProtocolError('unauthenticated', 'no API key: send Authorization: Bearer <your API key>');
    }
    // The message names the fingerprint, never the key: error texts end up in client logs.
    const result = keys.check(key);
    if (result.status !== 'valid') {
      logger.info({ event: 'llm.auth.refused', fingerprint: result.fingerprint, reason: result.status }, 'API key refused');
      throw new ProtocolError(
        'unauthenticated',
        result.status === 'revoked'
          ? `API key ${result.fingerprint} has been revoked: use a current key`
          : `incorrect API key provided (fingerprint ${result.fingerprint}): check the key in your agent's settings`,
      );
    }
  };

  app.post('/v1/chat/completions', { onRequest: authenticate }, async (request) => {
    const body = parseOrThrow(ChatCompletionRequest, request.body);
    seen.get(request)!.model = body.model;
    completions += 1;
    return completionFor(body, `chatcmpl-lab-${String(completions).padStart(6, '0')}`, Math.floor(clock.now() / 1000));
  });
}

function buildAdminApi(app: FastifyInstance, { keys, calls, clock, logger }: Deps): void {
  installErrorHandling(app, logger);
  logRequests(app, logger, { api: 'admin' });

  app.post('/admin/keys', async (request, reply) => {
    const { apiKey } = parseOrThrow(RegisterKeyRequest, request.body);
    const { record, created } = keys.register(apiKey, nowIso(clock));
    if (record.revokedAt !== null) {
      throw new ProtocolError(
        'conflict',
        `key ${record.fingerprint} was revoked; a revoked key stays revoked: register a new key`,
      );
    }
    if (created) logger.info({ event: 'llm.key.registered', fingerprint: record.fingerprint }, 'key registered');
    return reply.status(created ? 201 : 200).send({ fingerprint: record.fingerprint });
  });

  app.delete('/admin/keys/:fingerprint', async (request, reply) => {
    const { fingerprint } = parseOrThrow(FingerprintParam, request.params);
    const record = keys.revoke(fingerprint, nowIso(clock));
    if (!record) throw new ProtocolError('not_found', `no key with fingerprint ${fingerprint}: see GET /admin/keys`);
    logger.info({ event: 'llm.key.revoked', fingerprint }, 'key revoked');
    return reply.status(204).send();
  });

  app.get('/admin/keys', async () => ({ keys: keys.list() }));
  app.get('/admin/calls', async () => ({ calls: calls.list() }));
}
