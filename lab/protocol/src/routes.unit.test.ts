import { describe, expect, expectTypeOf, it } from 'vitest';
import type { z } from 'zod';
import { ERROR_CODES } from './errors.ts';
import type { AgentView, CreateAgentRequest, SignUpRequest } from './rest.ts';
import {
  pathParamsOf,
  type RouteClient,
  type RouteRequestOptions,
  type RouteResponse,
  routePath,
  successStatusOf,
} from './rest-route.ts';
import { ROUTE_LIST, routes } from './routes.ts';

describe('the REST route table', () => {
  it('names each route by its key, once per method and path, with the path params in path order', () => {
    for (const [key, route] of Object.entries(routes)) {
      expect(route.name).toBe(key);
      expect(route.params).toEqual(pathParamsOf(route.path));
    }
    const endpoints = ROUTE_LIST.map((r) => `${r.method} ${r.path}`);
    expect(new Set(endpoints).size).toBe(endpoints.length);
  });

  it('says who may call each route consistently', () => {
    for (const r of ROUTE_LIST) {
      expect(r.access === 'anyone', r.name).toBe(r.credentials.length === 0);
      if (r.access === 'member' || r.access === 'owner') {
        // workspace roles belong to users: only a bearer has one, and the workspace is in the path
        expect(r.credentials, r.name).toEqual(['bearer']);
        expect(r.params[0], r.name).toBe('wid');
      }
      expect(r.ownerAction !== undefined, r.name).toBe(r.access === 'owner');
    }
  });

  it('gives each route one success status and only known error codes, with those its shape implies', () => {
    for (const r of ROUTE_LIST) {
      expect([200, 201, 204], r.name).toContain(successStatusOf(r));
      for (const code of r.errors) expect(ERROR_CODES, r.name).toContain(code);
      expect(r.errors, r.name).toContain('internal');
      if (r.credentials.length > 0) expect(r.errors, r.name).toContain('unauthenticated');
      if (r.body || r.params.length > 0) expect(r.errors, r.name).toContain('bad_request');
      if (r.access === 'owner') expect(r.errors, r.name).toEqual(expect.arrayContaining(['forbidden', 'not_found']));
    }
    expect(routes.signIn.errors).toEqual(expect.arrayContaining(['invalid_credentials', 'account_locked']));
    expect(routes.health.errors).toEqual(['internal']);
  });

  it('fills a path with URL-encoded ids and refuses a missing one', () => {
    expect(routePath(routes.setAgentKey, { wid: 'wsp_1', aid: 'a b/c' })).toBe('/v1/workspaces/wsp_1/agents/a%20b%2Fc/key');
    expect(() => routePath(routes.setAgentKey, { wid: 'wsp_1' })).toThrow(/:aid/);
  });

  it('types a call from the table: ids, body and answer', () => {
    type CreateAgent = typeof routes.createAgent;
    expectTypeOf<RouteResponse<CreateAgent>>().toEqualTypeOf<z.output<typeof AgentView>>();
    expectTypeOf<RouteRequestOptions<CreateAgent>['params']>().toEqualTypeOf<{ wid: string }>();
    expectTypeOf<RouteRequestOptions<CreateAgent>['body']>().toEqualTypeOf<z.input<typeof CreateAgentRequest>>();
    // a 204 has no body; sign-up takes the email before lower-casing
    expectTypeOf<RouteResponse<typeof routes.signOut>>().toEqualTypeOf<undefined>();
    expectTypeOf<RouteRequestOptions<typeof routes.signUp>['body']>().toEqualTypeOf<z.input<typeof SignUpRequest>>();
    expectTypeOf<RouteRequestOptions<typeof routes.getMe>['params']>().toEqualTypeOf<undefined>();
  });

  it('refuses, at compile time, a call without the ids or the body its route needs', () => {
    const client = {} as RouteClient;
    // never run: tsc checks the calls
    const calls = () => [
      // @ts-expect-error createAgent needs :wid and a body
      client.request(routes.createAgent),
      // @ts-expect-error the body is checked against the route's schema
      client.request(routes.createAgent, { params: { wid: 'w' }, body: { name: 'x' } }),
      // @ts-expect-error the ids are those of the path
      client.request(routes.getWorkspace, { params: { aid: 'a' } }),
      client.request(routes.getMe),
      client.request(routes.getWorkspace, { credential: 'mcb_x', params: { wid: 'w' } }),
    ];
    expect(calls).toBeTypeOf('function');
  });
});
