import { readFileSync } from 'node:fs';
import { openApiDocument, ROUTE_LIST } from '@multiclaw-lab/protocol';
import { describe, expect, it } from 'vitest';
import { accessByOperation, judgeRole, parseEvents } from './events.ts';
import { judgeOversized, OVERSIZED_BYTES } from './oversized.ts';
import { requestTarget, roleConfig, SCHEMATHESIS_VERSION } from './schemathesis.ts';

/**
 * schemathesis 4.32.5's NDJSON events, recorded against the lab with a member's bearer run as
 * if it were a stranger's: the member routes answered 200, which a stranger must never get.
 */
const recorded = parseEvents(readFileSync(new URL('samples/stranger-reads-members.ndjson', import.meta.url), 'utf8'));
const access = accessByOperation(openApiDocument(ROUTE_LIST, { version: 'test' }) as never);

describe('schemathesis events', () => {
  it('reads every request with its operation and status, and every failed check', () => {
    expect(recorded.exchanges).toHaveLength(7);
    expect(recorded.exchanges).toContainEqual({ operation: 'GET /v1/workspaces/{wid}/agents', status: 200 });
    expect(recorded.failedChecks).toEqual([
      {
        check: 'refused_for_this_role',
        operation: 'GET /v1/workspaces/{wid}/agents',
        message: 'stranger got 200 from GET /v1/workspaces/wsp_114ab9605924f30585a4/agents (access: member)',
      },
    ]);
  });

  it('fails a stranger that got a 2xx from a member route, by the hook and again by the route table', () => {
    const verdict = judgeRole('stranger', recorded, access);
    expect(verdict.requests).toBe(7);
    expect(verdict.byStatus).toEqual({ '200': 1, '400': 3, '403': 3 });
    expect(verdict.findings.map((f) => f.severity).sort()).toEqual(['access', 'refused_for_this_role']);
    // the same exchanges are fine for the member they really came from
    expect(judgeRole('member', { ...recorded, failedChecks: [] }, access).findings).toEqual([]);
  });

  it('fails any 5xx or request that got no answer, whoever made it', () => {
    const run = {
      exchanges: [
        { operation: 'GET /v1/me', status: 500 },
        { operation: 'GET /v1/me', status: 0 },
      ],
      failedChecks: [],
    };
    expect(judgeRole('owner', run, access).findings.map((f) => f.message)).toEqual(['owner: answered 500', 'owner: no response']);
  });

  it('keeps errors inside schemathesis apart from the API’s answers', () => {
    const error = {
      NonFatalError: {
        label: 'POST /v1/invitations/{vid}/accept',
        value: { type: 'SystemError', message: 'AST constructor recursion depth mismatch' },
      },
    };
    const run = parseEvents(`${JSON.stringify(error)}\n`);
    expect(run.toolErrors).toEqual([
      { operation: 'POST /v1/invitations/{vid}/accept', message: 'SystemError: AST constructor recursion depth mismatch' },
    ]);
    expect(judgeRole('owner', run, access).findings).toEqual([]);
  });

  it('knows every route’s access from the OpenAPI document', () => {
    expect(access.get('DELETE /v1/workspaces/{wid}/members/{uid}')).toBe('owner');
    expect(access.get('GET /v1/workspaces/{wid}/members')).toBe('member');
    expect(access.get('GET /v1/me')).toBe('signed-in');
    expect(access.get('POST /v1/auth/sign-up')).toBe('anyone');
  });
});

describe('schemathesis runs', () => {
  it('keeps the credential out of the config file, and sends none for the anonymous caller', () => {
    expect(roleConfig('owner')).toMatch(/^headers = \{ Authorization = "Bearer \$\{MCLAB_BEARER\}" \}$/m);
    expect(roleConfig('owner')).toMatch(/^"path\.wid" = "\$\{MCLAB_WID\}"$/m);
    expect(roleConfig('anonymous')).not.toContain('Authorization');
    // schemathesis would otherwise sign up by itself and send the bearer it got
    for (const role of ['anonymous', 'owner'] as const) expect(roleConfig(role)).toMatch(/^\[auth\]\nauto-signup = false$/m);
  });

  it('asks for 10,000 requests unless LAB_FUZZ_REQUESTS says fewer', () => {
    expect(requestTarget({})).toBe(10_000);
    expect(requestTarget({ LAB_FUZZ_REQUESTS: '800' })).toBe(800);
    expect(() => requestTarget({ LAB_FUZZ_REQUESTS: 'lots' })).toThrow(/whole number/);
  });

  it('installs the version the checker names (scripts/bootstrap.sh)', () => {
    const bootstrap = readFileSync(new URL('../../../../scripts/bootstrap.sh', import.meta.url), 'utf8');
    expect(bootstrap).toContain(`SCHEMATHESIS_VERSION=${SCHEMATHESIS_VERSION}`);
  });
});

describe('an oversized body', () => {
  const route = 'POST /v1/auth/sign-up';
  const answer = JSON.stringify({ error: { code: 'payload_too_large', message: 'request body too large' } });
  const ok = { status: 413, body: answer };

  it('must get 413 with the cloud’s JSON error, every time', () => {
    expect(judgeOversized(route, [ok, ok, ok])).toEqual([]);
    expect(OVERSIZED_BYTES).toBeGreaterThan(256 * 1024);
  });

  it('fails a connection reset before the answer could be read, even one time in several', () => {
    const reset = { status: 100, body: '', error: 'curl: (55) Send failure: Connection reset by peer' };
    expect(judgeOversized(route, [ok, reset, ok, ok]).map((f) => f.message)).toEqual([
      '1 of 4 tries got no 413: curl: (55) Send failure: Connection reset by peer',
    ]);
  });

  it('fails another status, a body that is not JSON, or a JSON that is not an ErrorBody', () => {
    expect(judgeOversized(route, [{ status: 400, body: '{}' }]).map((f) => f.message)).toEqual([
      '1 of 1 tries got no 413: answered 400',
    ]);
    expect(judgeOversized(route, [{ status: 413, body: '<html>413</html>' }])[0]?.message).toMatch(/the 413 is not JSON/);
    expect(judgeOversized(route, [{ status: 413, body: '{"statusCode":413}' }])[0]?.message).toMatch(/not an ErrorBody/);
    const other = JSON.stringify({ error: { code: 'bad_request', message: 'x' } });
    expect(judgeOversized(route, [{ status: 413, body: other }])[0]?.message).toBe(
      'the 413 says bad_request, not payload_too_large with a message',
    );
  });
});
