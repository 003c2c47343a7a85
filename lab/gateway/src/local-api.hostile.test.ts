/**
 * Property-based hostile input against the local API of a real gateway (local mode, 127.0.0.1).
 * Whatever a local client sends — any path, method, header or body, with no token, a wrong one
 * or the right one — the answer is a 4xx JSON error body (401 first of all without the token),
 * never a 5xx and never a dropped connection; and a legitimate request works after each one.
 * Runs are bounded and seeded: a failure prints the seed and path that replay it (FC_SEED
 * overrides the seed).
 */

import { mkdtemp } from 'node:fs/promises';
import { METHODS, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorBodySchema, GatewayStatus, HTTP_STATUS_FOR, LinkWorkspaceRequest } from '@multiclaw-lab/protocol';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayHandle, startGateway } from './gateway.ts';
import { MAX_BODY_BYTES } from './local-api.ts';
import { captureLogs } from './test-support/log-capture.ts';

const SEED = Number(process.env.FC_SEED ?? 20_260_401);
const runs = (numRuns: number) => ({ seed: SEED, numRuns });

let gateway: GatewayHandle;

beforeAll(async () => {
  const home = await mkdtemp(join(tmpdir(), 'gw-hostile-'));
  gateway = await startGateway({ home, mode: 'local', logger: captureLogs('warn').logger });
});
afterAll(() => gateway?.close());

interface Hostile {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string | Buffer | undefined;
  /** send the body chunked (no Content-Length) instead of with its length */
  chunked: boolean;
}

interface Answer {
  status: number;
  contentType: string | undefined;
  text: string;
}

/** One request on its own connection; rejects if the connection drops before a whole answer. */
function send({ method, path, headers, body, chunked }: Hostile): Promise<Answer> {
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = request({ host: '127.0.0.1', port: gateway.port, method, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        answered = true;
        resolve({
          status: res.statusCode ?? 0,
          contentType: res.headers['content-type'],
          text: Buffer.concat(chunks).toString(),
        });
      });
    });
    // The server may answer (413, 401) before it has read the whole body; a write error after
    // a whole answer is not a dropped connection.
    req.on('error', (err) => {
      if (!answered) reject(new Error(`connection dropped: ${err.message}`));
    });
    // Node sends GET/HEAD/DELETE/OPTIONS bodies unframed unless told: say how this one is framed.
    if (body !== undefined) {
      if (chunked) req.setHeader('transfer-encoding', 'chunked');
      else req.setHeader('content-length', Buffer.byteLength(body));
    }
    req.end(body);
  });
}

/** A 4xx answer with an ErrorBody whose code goes with the status (HEAD answers carry no body). */
function expectJsonError(answer: Answer, method: string): { code: string } {
  expect(answer.status, answer.text).toBeGreaterThanOrEqual(400);
  expect(answer.status, answer.text).toBeLessThan(500);
  if (method === 'HEAD') return { code: 'unknown' };
  expect(answer.contentType).toMatch(/^application\/json/);
  const { error } = ErrorBodySchema.parse(JSON.parse(answer.text));
  expect(HTTP_STATUS_FOR[error.code]).toBe(answer.status);
  return error;
}

async function legitimateStillWorks(): Promise<void> {
  const answer = await send({
    method: 'GET',
    path: '/v1/status',
    headers: { authorization: `Bearer ${gateway.sessionToken}` },
    body: undefined,
    chunked: false,
  });
  expect(answer.status).toBe(200);
  GatewayStatus.parse(JSON.parse(answer.text));
}

// --- generators ----------------------------------------------------------------------------

/** Every method Node's HTTP parser knows, CONNECT aside (a proxy verb, not an API request). */
const method = fc.oneof(
  fc.constantFrom('GET', 'POST', 'PUT', 'DELETE'),
  fc.constantFrom(...METHODS.filter((m) => m !== 'CONNECT')),
);
const ROUTES = ['/v1/status', '/v1/workspace', '/v1/tasks', '/v1/tasks/t1', '/v1/conversations', '/v1/conversations/c1'];
const segmentChar = fc.constantFrom(
  ..."abcXYZ019-._~!$&'()*+,;=:@".split(''),
  '%2F',
  '%2e%2e',
  '..',
  '%00',
  '%E0%A4%A',
  '%FF',
  '%',
  '%zz',
  '%C3%A9',
  '//',
);
const segment = fc.string({ unit: segmentChar, maxLength: 12 });
const path = fc
  .record({
    base: fc.oneof(
      fc.constantFrom(...ROUTES, '/', '/v1', '/v1/', '/V1/STATUS'),
      segment.map((s) => `/${s}`),
    ),
    extra: fc.array(segment, { maxLength: 3 }),
    query: fc.option(fc.string({ unit: segmentChar, maxLength: 20 }), { nil: undefined }),
    trailingSlash: fc.boolean(),
  })
  .map(({ base, extra, query, trailingSlash }) => {
    const joined = [base, ...extra].join('/').replace(/^\/+/, '/');
    return `${joined}${trailingSlash ? '/' : ''}${query === undefined ? '' : `?${query}`}`;
  });
const headerValue = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 80 });
const extraHeaders = fc.dictionary(fc.stringMatching(/^x-[a-z0-9-]{1,16}$/), headerValue, { maxKeys: 4 });
const contentType = fc.option(
  fc.oneof(
    fc.constantFrom(
      'application/json',
      'application/json; charset=latin1',
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/octet-stream',
    ),
    headerValue,
  ),
  { nil: undefined },
);
/** No body, garbage, malformed JSON, any JSON, bodies near and past the limit. */
const body = fc.oneof(
  fc.constant(undefined),
  fc.string({ maxLength: 200 }),
  fc.string({ maxLength: 100 }).map((s) => `{"agentId": ${s}`),
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc.record({ agentId: fc.jsonValue(), prompt: fc.jsonValue() }).map((v) => JSON.stringify(v)),
  fc.uint8Array({ maxLength: 2048 }).map((bytes) => Buffer.from(bytes)),
  fc.integer({ min: MAX_BODY_BYTES - 16, max: MAX_BODY_BYTES * 4 }).map((n) => `"${'x'.repeat(n)}"`),
);
/** Never a valid link request: that would make the gateway dial the cloud named in it. */
const notALink = (b: string | Buffer | undefined) => {
  try {
    return !LinkWorkspaceRequest.safeParse(JSON.parse(String(b))).success;
  } catch {
    return true;
  }
};

/** A counterexample as a person reads it: a body past a few hundred bytes is shown by its size. */
function describeRequest({ method: verb, path: where, headers, body: payload, chunked }: Hostile): string {
  const shown =
    payload === undefined
      ? 'no body'
      : String(payload).length > 300
        ? `${Buffer.byteLength(payload)} bytes`
        : JSON.stringify(String(payload));
  return `${verb} ${where} ${JSON.stringify(headers)} ${shown}${chunked ? ' (chunked)' : ''}`;
}

/** The API's own routes with their own methods, a path parameter made of hostile segments. */
const routeCall = fc
  .record({
    route: fc.constantFrom(
      ['GET', '/v1/status'],
      ['PUT', '/v1/workspace'],
      ['DELETE', '/v1/workspace'],
      ['POST', '/v1/tasks'],
      ['GET', '/v1/tasks/:id'],
      ['GET', '/v1/conversations'],
      ['GET', '/v1/conversations/:id'],
    ),
    id: segment.filter((s) => s.length > 0 && !s.includes('/')),
  })
  .map(({ route: [verb, template], id }) => ({ method: verb!, path: template!.replace(':id', id) }));
/** Half the requests call a real route the right way (with a hostile body), half go anywhere. */
const target = fc.oneof(routeCall, fc.record({ method, path }));

const hostileRequest = (authorization: fc.Arbitrary<string | undefined>) =>
  fc
    .record({ target, extra: extraHeaders, contentType, authorization, body: body.filter(notALink), chunked: fc.boolean() })
    .map(({ target: { method: verb, path: where }, extra, contentType: type, authorization: auth, ...rest }): Hostile => {
      const headers: Record<string, string> = { ...extra };
      if (type !== undefined) headers['content-type'] = type;
      if (auth !== undefined) headers.authorization = auth;
      const hostile = { ...rest, method: verb, path: where, headers };
      return Object.assign(hostile, { [fc.toStringMethod]: () => describeRequest(hostile) });
    });

/** Anything but `Bearer <token>`: none, other tokens, other schemes, near misses of the token. */
const wrongAuthorization = (token: string) =>
  fc.oneof(
    fc.constant(undefined),
    headerValue,
    fc.constantFrom(
      'Bearer ',
      'Bearer',
      'Basic Zm9vOmJhcg==',
      `Bearer ${token.slice(0, -1)}`,
      `Bearer ${token}A`,
      `bearer ${token}`,
      token,
      `Token ${token}`,
      `Bearer  ${token}`,
      `Bearer ${token} x`,
      `Bearer ${token.toUpperCase()}`,
    ),
    fc.string({ unit: fc.constantFrom(...'ABCabc0123-_'.split('')), minLength: 1, maxLength: 64 }).map((s) => `Bearer ${s}`),
  );

describe('hostile local API requests', () => {
  it('answers any request without the right session token with 401 unauthenticated, as JSON', async () => {
    await fc.assert(
      fc.asyncProperty(hostileRequest(wrongAuthorization(gateway.sessionToken)), async (hostile) => {
        const answer = await send(hostile);
        expect(answer.status, `${hostile.method} ${hostile.path}`).toBe(401);
        expect(expectJsonError(answer, hostile.method).code).not.toBe('internal');
        if (hostile.method !== 'HEAD') expect(JSON.parse(answer.text).error.code).toBe('unauthenticated');
        await legitimateStillWorks();
      }),
      runs(100),
    );
  });

  it('answers any malformed request with the right token with a 4xx JSON error, never a 5xx or a dropped connection', async () => {
    const withToken = fc.constant(`Bearer ${gateway.sessionToken}`);
    await fc.assert(
      fc.asyncProperty(hostileRequest(withToken), async (hostile) => {
        const answer = await send(hostile);
        if (answer.status < 300) {
          // only a well-formed call of a route may succeed; none of these needs a body
          expect(`${hostile.method} ${hostile.path.split('?')[0]}`).toMatch(
            /^(GET \/v1\/status|GET \/v1\/conversations|DELETE \/v1\/workspace)$/,
          );
        } else {
          expect([400, 404, 405, 413]).toContain(answer.status);
          expectJsonError(answer, hostile.method);
        }
        await legitimateStillWorks();
      }),
      runs(100),
    );
  });

  it('refuses any body past the limit with 413, declared or chunked, before the connection ends', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('/v1/tasks', '/v1/workspace'),
        fc.integer({ min: MAX_BODY_BYTES + 1, max: MAX_BODY_BYTES * 16 }),
        fc.boolean(),
        async (route, size, chunked) => {
          const answer = await send({
            method: route === '/v1/tasks' ? 'POST' : 'PUT',
            path: route,
            headers: { authorization: `Bearer ${gateway.sessionToken}`, 'content-type': 'application/json' },
            body: `{"prompt":"${'x'.repeat(size)}"}`,
            chunked,
          });
          expect(answer.status).toBe(413);
          expect(expectJsonError(answer, 'POST').code).toBe('payload_too_large');
          await legitimateStillWorks();
        },
      ),
      runs(30),
    );
  });
});
