import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from '@multiclaw-lab/kit';
import {
  type Conversation,
  type ConversationList,
  type GatewayStatus,
  LinkWorkspaceRequest,
  ProtocolError,
  parseOrThrow,
  StartTaskRequest,
  type StartTaskResponse,
  type TaskView,
} from '@multiclaw-lab/protocol';
import type { z } from 'zod';
import type { SessionTokenVerifier } from './local-auth.ts';

/** What the local API needs from the gateway; the HTTP layer knows nothing else. */
export interface LocalApiBackend {
  status(): GatewayStatus;
  link(request: z.infer<typeof LinkWorkspaceRequest>): Promise<void>;
  unlink(): Promise<void>;
  startTask(request: z.infer<typeof StartTaskRequest>): Promise<z.infer<typeof StartTaskResponse>>;
  task(taskId: string): z.infer<typeof TaskView> | undefined;
  conversations(): Promise<z.infer<typeof ConversationList>>;
  conversation(id: string): Promise<Conversation | undefined>;
}

/** Requests are small JSON commands; anything bigger is refused before it is read whole. */
export const MAX_BODY_BYTES = 64 * 1024;

interface Reply {
  status: number;
  body?: unknown;
}

type Handler = (params: string[], body: () => Promise<unknown>) => Promise<Reply>;

interface Route {
  method: string;
  pattern: RegExp;
  handler: Handler;
}

function routes(backend: LocalApiBackend): Route[] {
  const notFound = (what: string) => new ProtocolError('not_found', `${what} not found on this gateway`);
  return [
    { method: 'GET', pattern: /^\/v1\/status$/, handler: async () => ({ status: 200, body: backend.status() }) },
    {
      method: 'PUT',
      pattern: /^\/v1\/workspace$/,
      handler: async (_p, body) => {
        await backend.link(parseOrThrow(LinkWorkspaceRequest, await body()));
        return { status: 204 };
      },
    },
    {
      method: 'DELETE',
      pattern: /^\/v1\/workspace$/,
      handler: async () => {
        await backend.unlink();
        return { status: 204 };
      },
    },
    {
      method: 'POST',
      pattern: /^\/v1\/tasks$/,
      handler: async (_p, body) => ({ status: 202, body: await backend.startTask(parseOrThrow(StartTaskRequest, await body())) }),
    },
    {
      method: 'GET',
      pattern: /^\/v1\/tasks\/([^/]+)$/,
      handler: async ([tid]) => {
        const view = backend.task(tid!);
        if (!view) throw notFound(`task ${tid}`);
        return { status: 200, body: view };
      },
    },
    {
      method: 'GET',
      pattern: /^\/v1\/conversations$/,
      handler: async () => ({ status: 200, body: await backend.conversations() }),
    },
    {
      method: 'GET',
      pattern: /^\/v1\/conversations\/([^/]+)$/,
      handler: async ([cid]) => {
        const conversation = await backend.conversation(cid!);
        if (!conversation) throw notFound(`conversation ${cid}`);
        return { status: 200, body: conversation };
      },
    },
  ];
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_BODY_BYTES) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw tooLarge();
    chunks.push(chunk as Buffer);
  }
  if (size === 0) throw new ProtocolError('bad_request', 'this route needs a JSON body');
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new ProtocolError('bad_request', 'the body is not valid JSON');
  }
}

function decodeParam(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new ProtocolError('bad_request', `the path segment ${JSON.stringify(raw.slice(0, 80))} is not valid percent-encoding`);
  }
}

function tooLarge(): ProtocolError {
  return new ProtocolError('payload_too_large', `request bodies are limited to ${MAX_BODY_BYTES} bytes`);
}

function send(res: ServerResponse, reply: Reply): void {
  if (reply.body === undefined) {
    res.writeHead(reply.status).end();
    return;
  }
  const text = JSON.stringify(reply.body);
  res.writeHead(reply.status, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(text);
}

/**
 * The desktop app's API, on 127.0.0.1 only. The session token is checked before anything else,
 * so an unauthenticated caller learns nothing, not even which routes exist.
 */
export function createLocalApi(backend: LocalApiBackend, verifier: SessionTokenVerifier, logger: Logger): Server {
  const table = routes(backend);
  const server = createServer(async (req, res) => {
    const method = req.method ?? 'GET';
    const path = (req.url ?? '/').split('?')[0]!;
    try {
      if (!verifier.verifyHeader(req.headers.authorization)) {
        logger.warn({ event: 'api.unauthenticated', method, path });
        // Drain what the client sent so the 401 reaches it instead of a reset.
        req.resume();
        throw new ProtocolError(
          'unauthenticated',
          'missing or wrong session token: send Authorization: Bearer <token> from ~/.openclaw/run/local-api.json',
        );
      }
      const route = table.find((r) => r.pattern.test(path) && r.method === method);
      if (!route) {
        req.resume();
        const known = table.some((r) => r.pattern.test(path));
        throw new ProtocolError('not_found', known ? `${method} is not allowed on ${path}` : `no route ${method} ${path}`);
      }
      const params = (route.pattern.exec(path) ?? []).slice(1).map(decodeParam);
      const reply = await route.handler(params, () => readJson(req));
      send(res, reply);
      logger.debug({ event: 'api.request', method, path, status: reply.status });
    } catch (err) {
      if (err instanceof ProtocolError) {
        send(res, { status: err.httpStatus, body: err.toBody() });
        return;
      }
      const correlationId = randomUUID();
      logger.error({ event: 'api.internal_error', method, path, correlationId, err }, 'local API request failed');
      send(res, {
        status: 500,
        body: new ProtocolError('internal', `internal error (correlation id ${correlationId}); see the gateway log`).toBody(),
      });
    }
  });
  // Bound how much a local client can hold open; the desktop app makes short requests.
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  return server;
}
