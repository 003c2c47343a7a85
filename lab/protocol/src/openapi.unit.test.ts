import { Validator } from '@seriousme/openapi-schema-validator';
import { describe, expect, it } from 'vitest';
import { openApiDocument, openApiPath } from './openapi.ts';
import { successStatusOf } from './rest-route.ts';
import { ROUTE_LIST } from './routes.ts';

type Json = Record<string, unknown>;

/** Validates against the official OpenAPI 3.1 JSON Schema; returns the errors, none when valid. */
async function openApiErrors(doc: unknown): Promise<unknown[]> {
  const validator = new Validator();
  const result = await validator.validate(structuredClone(doc) as Json);
  if (!result.valid) return Array.isArray(result.errors) ? result.errors : [result.errors];
  if (validator.version !== '3.1') return [`validated as OpenAPI ${validator.version}, not 3.1`];
  return [];
}

const doc = openApiDocument(ROUTE_LIST, { version: '1.2.3' });
const operations = Object.values(doc.paths).flatMap((item) => Object.values(item) as Json[]);

describe('the OpenAPI document', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(await openApiErrors(doc)).toEqual([]);
  });

  it('the validator refuses a broken document', async () => {
    expect(await openApiErrors({ ...doc, openapi: '3.1.0', info: { version: '1' } })).not.toEqual([]);
    const badPath = { ...doc, paths: { 'v1/no-leading-slash': {} } };
    expect(await openApiErrors(badPath)).not.toEqual([]);
    expect(await openApiErrors({ ...doc, openapi: '3.0.3' })).not.toEqual([]);
  });

  it('has one operation per route of the table, named by the route', () => {
    expect(operations.map((o) => o.operationId).sort()).toEqual(ROUTE_LIST.map((r) => r.name).sort());
    for (const r of ROUTE_LIST) {
      const op = doc.paths[openApiPath(r.path)]?.[r.method.toLowerCase()] as Json | undefined;
      expect(op?.operationId, `${r.method} ${r.path}`).toBe(r.name);
    }
  });

  it('describes security, path ids, bodies and every answer of each route', () => {
    for (const r of ROUTE_LIST) {
      const op = doc.paths[openApiPath(r.path)]![r.method.toLowerCase()] as Json;
      expect((op.security as Json[]).length, r.name).toBe(r.credentials.length);
      expect(((op.parameters ?? []) as Json[]).map((p) => p.name)).toEqual(r.params);
      expect(op.requestBody !== undefined, r.name).toBe(r.body !== undefined);
      const statuses = Object.keys(op.responses as Json);
      expect(statuses, r.name).toContain(String(successStatusOf(r)));
      expect(statuses.filter((s) => s >= '400').length, r.name).toBeGreaterThan(0);
    }
    const signUp = doc.paths['/v1/auth/sign-up']!.post as Json;
    expect(JSON.stringify(signUp.requestBody)).toContain('"format":"email"');
    expect(JSON.stringify((signUp.responses as Json)['409'])).toContain('#/components/schemas/ErrorBody');
    expect((doc.paths['/v1/turn/credentials']!.get as Json).security).toEqual([{ bearer: [] }, { instanceToken: [] }]);
    expect((doc.paths['/healthz']!.get as Json).security).toEqual([]);
  });
});
