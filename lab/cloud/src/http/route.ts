import {
  type CredentialKind,
  parseOrThrow,
  type RestRoute,
  type Role,
  type RouteParams,
  type RouteParsedBody,
  type RouteResponseInput,
  successStatusOf,
} from '@multiclaw-lab/protocol';
import type { FastifyRequest } from 'fastify';
import { authenticate, type PrincipalOf, requireMember, requireOwner } from '../auth/authenticate.ts';
import type { Ctx } from '../context.ts';
import { mutant } from '../mutant.ts';
import type { App } from './app.ts';
import { param } from './params.ts';

type CredentialsOf<R extends RestRoute> = R['credentials'][number] & CredentialKind;

/** What a route's handler gets, checked in this order: credential, path ids, workspace role, body. */
export interface RouteCall<R extends RestRoute> {
  principal: [CredentialsOf<R>] extends [never] ? undefined : PrincipalOf<CredentialsOf<R>>;
  params: RouteParams<R>;
  /** the caller's role in the `:wid` workspace, for member and owner routes */
  role: R['access'] extends 'member' | 'owner' ? Role : undefined;
  body: RouteParsedBody<R>;
  request: FastifyRequest;
}

export type RouteHandler<R extends RestRoute> = (call: RouteCall<R>) => Promise<RouteResponseInput<R>>;

/**
 * Registers a route of the protocol's table: its method and path, the credential kinds and the
 * workspace role it takes, and its body schema (a bad body is a 400 bad_request naming the bad
 * fields). The handler's answer goes out with the route's success status.
 */
export function routeOn(app: App, ctx: Ctx) {
  return <R extends RestRoute>(route: R, handler: RouteHandler<R>): void => {
    const status = successStatusOf(route);
    app.route({
      method: route.method,
      url: route.path,
      handler: async (request, reply) => {
        const principal =
          route.credentials.length > 0 ? await authenticate(ctx, request.headers.authorization, route.credentials) : undefined;
        const params = Object.fromEntries(route.params.map((name) => [name, param(request, name)])) as RouteParams<R>;
        let role: Role | undefined;
        if (route.access === 'member' || route.access === 'owner') {
          if (principal?.kind !== 'bearer') throw new Error(`${route.name}: workspace roles need a bearer route`);
          const { wid } = params as Record<string, string>;
          if (wid === undefined) throw new Error(`${route.name}: workspace roles need :wid in the path`);
          if (route.access === 'owner') {
            if (mutant('member-allowed-owner-routes')) await requireMember(ctx, principal.userId, wid);
            else await requireOwner(ctx, principal.userId, wid, route.ownerAction ?? route.summary);
            role = 'owner';
          } else if (mutant('cross-workspace-read') && route.method === 'GET') {
            role = await requireMember(ctx, principal.userId, wid).catch(() => 'member' as const);
          } else {
            role = await requireMember(ctx, principal.userId, wid);
          }
        }
        const body = route.body ? parseOrThrow(route.body, request.body) : undefined;
        const answer = await handler({ principal, params, role, body, request } as unknown as RouteCall<R>);
        return status === 204 ? reply.code(204).send() : reply.code(status).send(answer);
      },
    });
  };
}
