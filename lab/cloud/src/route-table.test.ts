import { ROUTE_LIST, routes } from '@multiclaw-lab/protocol';
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCloud, type TestCloud } from './test-helpers.ts';

/** The routes Fastify serves are exactly the protocol's table, and the cloud describes them as OpenAPI 3.1. */

let t: TestCloud;
beforeAll(async () => {
  t = await startTestCloud();
});
afterAll(() => t?.cloud.close());

describe('the cloud serves the route table', () => {
  it('registers every route of the table and no other', () => {
    const line = t.logs.map((l) => JSON.parse(l)).find((l) => l.event === 'http.routes');
    expect(line, 'the cloud lists its routes at start').toBeDefined();
    expect([...line.routes].sort()).toEqual(ROUTE_LIST.map((r) => `${r.method} ${r.path}`).sort());
  });

  it('answers GET /v1/openapi.json without a credential with a valid OpenAPI 3.1 document of every route', async () => {
    const res = await t.http('GET', '/v1/openapi.json');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    const validator = new Validator();
    const result = await validator.validate(res.body);
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
    const operations = Object.values(res.body.paths as Record<string, Record<string, { operationId: string }>>).flatMap((item) =>
      Object.values(item).map((op) => op.operationId),
    );
    expect(operations.sort()).toEqual(Object.keys(routes).sort());
    // the typed client checks the same answer against the table's own schema for it
    expect((await t.request(routes.getOpenApi)).openapi).toBe('3.1.0');
  });
});
