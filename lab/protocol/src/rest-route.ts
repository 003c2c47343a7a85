/**
 * The shape of one REST route as data: the cloud registers it, the harness's client calls it,
 * the permission test walks it and the OpenAPI document describes it, all from the same entry.
 */
import type { z } from 'zod';
import type { CredentialKind } from './credentials.ts';
import type { ErrorCode } from './errors.ts';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/**
 * Who may call a route. `anyone`: no credential. `signed-in`: any holder of one of the route's
 * credential kinds, acting for itself. `member` / `owner`: a bearer whose user has that role (an
 * owner is also a member) in the workspace named by the path's `:wid`.
 */
export type RouteAccess = 'anyone' | 'signed-in' | 'member' | 'owner';

export type SuccessStatus = 200 | 201 | 204;

/** `:name` segments of a Fastify-style path, as a union of names. */
export type PathParamsOf<P extends string> = P extends `${string}:${infer Name}/${infer Rest}`
  ? Name | PathParamsOf<`/${Rest}`>
  : P extends `${string}:${infer Name}`
    ? Name
    : never;

/** What a table entry says; `defineRoutes` adds the name, the path params and the full error list. */
export interface RouteInput {
  method: HttpMethod;
  /** Fastify style: `/v1/workspaces/:wid/agents` */
  path: string;
  summary: string;
  /** groups operations in the OpenAPI document */
  tag: string;
  /** credential kinds accepted in `Authorization: Bearer …`; empty for `anyone` */
  credentials: readonly CredentialKind[];
  access: RouteAccess;
  /** for `owner` routes: what a member is refused, "only an owner of this workspace may <ownerAction>" */
  ownerAction?: string;
  /** JSON request body, when the route takes one */
  body?: z.ZodType;
  /** the answer's body for each success status; null: no body (204) */
  responses: Partial<Record<SuccessStatus, z.ZodType | null>>;
  /** refusals specific to this route, beyond those its credentials, role, path ids and body imply */
  errors?: readonly ErrorCode[];
}

/** Any route of the table. */
export interface RestRoute extends Omit<RouteInput, 'errors'> {
  name: string;
  /** the path's `:name` segments, in path order */
  params: readonly string[];
  /** every error code the route can answer with */
  errors: readonly ErrorCode[];
}

/** One route of the table, with its literal name, path, params, credentials and schemas. */
export type DefinedRoute<N extends string, I extends RouteInput> = Omit<I, 'errors'> & {
  name: N;
  params: readonly PathParamsOf<I['path']>[];
  errors: readonly ErrorCode[];
};

/** Error codes implied by how a route is called: who may call it, path ids, a JSON body. */
function impliedErrors(input: RouteInput, params: readonly string[]): ErrorCode[] {
  const codes: ErrorCode[] = [];
  if (params.length > 0 || input.body) codes.push('bad_request');
  if (input.credentials.length > 0) codes.push('unauthenticated');
  if (input.access === 'member' || input.access === 'owner') codes.push('not_found');
  if (input.access === 'owner') codes.push('forbidden');
  if (input.body) codes.push('payload_too_large');
  return codes;
}

export function pathParamsOf(path: string): string[] {
  return path
    .split('/')
    .filter((s) => s.startsWith(':'))
    .map((s) => s.slice(1));
}

/** Turns the table's entries into routes named by their keys, with their params and every error code. */
export function defineRoutes<const T extends Record<string, RouteInput>>(
  table: T,
): {
  [K in keyof T & string]: DefinedRoute<K, T[K]>;
} {
  const out: Record<string, RestRoute> = {};
  for (const [name, input] of Object.entries(table)) {
    const params = pathParamsOf(input.path);
    const errors = [...new Set([...impliedErrors(input, params), ...(input.errors ?? []), 'internal' as const])];
    out[name] = { ...input, name, params, errors };
  }
  return out as { [K in keyof T & string]: DefinedRoute<K, T[K]> };
}

/** The route's success status (each route has exactly one). */
export function successStatusOf(route: Pick<RouteInput, 'responses'>): SuccessStatus {
  const statuses = Object.keys(route.responses).map(Number) as SuccessStatus[];
  if (statuses.length !== 1) throw new Error(`a route has exactly one success status, not ${statuses.join(', ')}`);
  return statuses[0]!;
}

type ResponseSchemas<R extends RestRoute> = R['responses'][keyof R['responses']];

/** The body of a route's success answer as received (after JSON); undefined for 204. */
export type RouteResponse<R extends RestRoute> =
  ResponseSchemas<R> extends infer S ? (S extends z.ZodType ? z.output<S> : undefined) : never;

/** What a handler answers with for the route (the schema's input side); nothing for 204. */
export type RouteResponseInput<R extends RestRoute> =
  ResponseSchemas<R> extends infer S
    ? S extends z.ZodType
      ? z.input<S>
      : // biome-ignore lint/suspicious/noConfusingVoidType: a 204 handler returns nothing, which is void, not undefined
        void
    : never;

export type RouteParams<R extends RestRoute> = Record<R['params'][number], string>;

/** The request body a caller sends (the schema's input side: e.g. an email before lower-casing). */
export type RouteBody<R extends RestRoute> = R['body'] extends z.ZodType ? z.input<R['body']> : undefined;

/** The request body as the server sees it after parsing (e.g. the email lower-cased). */
export type RouteParsedBody<R extends RestRoute> = R['body'] extends z.ZodType ? z.output<R['body']> : undefined;

/** Options of a typed call: the credential, the path ids the path needs and the body it takes. */
export type RouteRequestOptions<R extends RestRoute> = { credential?: string } & ([R['params'][number]] extends [never]
  ? { params?: undefined }
  : { params: RouteParams<R> }) &
  (R['body'] extends z.ZodType ? { body: RouteBody<R> } : { body?: undefined });

/** The options argument, optional when the route needs neither ids nor a body. */
export type RouteRequestArgs<R extends RestRoute> =
  object extends RouteRequestOptions<R> ? [options?: RouteRequestOptions<R>] : [options: RouteRequestOptions<R>];

/** Anything that can make a typed call: the harness's CloudApi, the cloud's test client. */
export interface RouteClient {
  request<R extends RestRoute>(route: R, ...args: RouteRequestArgs<R>): Promise<RouteResponse<R>>;
}

/** The concrete path of a route: each `:name` replaced by its (URL-encoded) value. */
export function routePath(route: Pick<RestRoute, 'path'>, params: Readonly<Record<string, string>> = {}): string {
  return route.path.replace(/:([A-Za-z]+)/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined) throw new Error(`${route.path} needs :${name}`);
    return encodeURIComponent(value);
  });
}

/** Paths (`a.b.0`) present in `raw` but dropped by parsing: fields the schema does not name. */
function undocumented(parsed: unknown, raw: unknown, at = ''): string[] {
  if (Array.isArray(parsed) && Array.isArray(raw)) return parsed.flatMap((p, i) => undocumented(p, raw[i], `${at}${i}.`));
  if (!parsed || !raw || typeof parsed !== 'object' || typeof raw !== 'object') return [];
  return Object.keys(raw).flatMap((key) =>
    key in parsed
      ? undocumented((parsed as Record<string, unknown>)[key], (raw as Record<string, unknown>)[key], `${at}${key}.`)
      : [`${at}${key}`],
  );
}

/**
 * Checks a success answer against the route's schema, exactly: a missing or wrong field and a
 * field the schema does not name are both refused, so the table cannot drift from the cloud.
 */
export function parseRouteResponse<R extends RestRoute>(route: R, body: unknown): RouteResponse<R> {
  const schema = route.responses[successStatusOf(route)];
  if (!schema) return undefined as RouteResponse<R>;
  const result = schema.safeParse(body);
  if (!result.success) {
    const issues = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).slice(0, 5);
    throw new Error(`${route.method} ${route.path} answered outside its schema: ${issues.join('; ')}`);
  }
  const extra = undocumented(result.data, body);
  if (extra.length > 0)
    throw new Error(`${route.method} ${route.path} answered fields its schema does not name: ${extra.join(', ')}`);
  return result.data as RouteResponse<R>;
}
