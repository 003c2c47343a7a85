import { z } from 'zod';
import type { CredentialKind } from './credentials.ts';
import { ErrorBodySchema, type ErrorCode, HTTP_STATUS_FOR } from './errors.ts';
import { Id, type OpenApiDocument } from './rest.ts';
import type { RestRoute } from './rest-route.ts';

/**
 * The REST API as an OpenAPI 3.1 document, generated from the route table: OpenAPI 3.1 schema
 * objects are JSON Schema draft 2020-12, which is what zod emits. Requests are described by what
 * a client sends (the schemas' input side: an email before lower-casing), responses by what it
 * receives.
 */

type Json = Record<string, unknown>;

const SECURITY_SCHEME: Record<CredentialKind, string> = {
  bearer: 'bearer',
  gateway: 'gatewayToken',
  instance: 'instanceToken',
};

const securitySchemes: Record<string, Json> = {
  bearer: {
    type: 'http',
    scheme: 'bearer',
    description: 'desktop app bearer (`mcb_…`), issued by POST /v1/auth/sign-in',
  },
  gatewayToken: {
    type: 'http',
    scheme: 'bearer',
    description: 'gateway workspace auth token (`mcg_…`), issued by POST /v1/workspaces/{wid}/gateway-tokens',
  },
  instanceToken: {
    type: 'http',
    scheme: 'bearer',
    description: 'cloud desktop instance token (`mci_…`), issued by POST /v1/workspaces/{wid}/instances',
  },
};

/** What the cloud accepts as an id in a path: 1 to 64 printable ASCII characters. */
const PathId = Id.regex(/^[\x21-\x7e]+$/);

const ACCESS_TEXT: Record<RestRoute['access'], string> = {
  anyone: 'No credential.',
  'signed-in': 'Any holder of an accepted credential, for itself.',
  member: 'A member of the workspace (a non-member gets 404, as if it did not exist).',
  owner: 'An owner of the workspace (a member gets 403, a non-member 404).',
};

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Json {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { target: 'draft-2020-12', io }) as Json;
  return rest;
}

const jsonContent = (schema: Json) => ({ 'application/json': { schema } });

function errorResponses(codes: readonly ErrorCode[]): Record<string, Json> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of codes) byStatus.set(HTTP_STATUS_FOR[code], [...(byStatus.get(HTTP_STATUS_FOR[code]) ?? []), code]);
  const out: Record<string, Json> = {};
  for (const [status, list] of [...byStatus].sort(([a], [b]) => a - b)) {
    out[String(status)] = {
      description: `error code ${list.join(' or ')}`,
      content: jsonContent({
        allOf: [{ $ref: '#/components/schemas/ErrorBody' }, { properties: { error: { properties: { code: { enum: list } } } } }],
      }),
    };
  }
  return out;
}

function operation(route: RestRoute): Json {
  const responses: Record<string, Json> = {};
  for (const [status, schema] of Object.entries(route.responses)) {
    responses[status] = schema
      ? { description: route.summary, content: jsonContent(jsonSchema(schema, 'output')) }
      : { description: `${route.summary} (no body)` };
  }
  Object.assign(responses, errorResponses(route.errors));
  const op: Json = {
    operationId: route.name,
    summary: route.summary,
    description: ACCESS_TEXT[route.access],
    tags: [route.tag],
    security: route.credentials.map((kind) => ({ [SECURITY_SCHEME[kind]]: [] })),
    'x-access': route.access,
  };
  if (route.params.length > 0) {
    op.parameters = route.params.map((name) => ({ name, in: 'path', required: true, schema: jsonSchema(PathId, 'input') }));
  }
  if (route.body) op.requestBody = { required: true, content: jsonContent(jsonSchema(route.body, 'input')) };
  op.responses = responses;
  return op;
}

/** `/v1/workspaces/:wid` → `/v1/workspaces/{wid}` */
export const openApiPath = (path: string): string => path.replace(/:([A-Za-z]+)/g, '{$1}');

export function openApiDocument(routes: readonly RestRoute[], options: { version: string }): OpenApiDocument {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const path = openApiPath(route.path);
    paths[path] = { ...paths[path], [route.method.toLowerCase()]: operation(route) };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'MultiClaw Cloud REST API',
      version: options.version,
      description:
        'One HTTPS port shared with the real-time WSS channels (/v1/realtime/user, /gateway, /daemon), which are ' +
        'WebSocket upgrades opened with a token from POST /v1/realtime/token. Every non-2xx answer is an ErrorBody.',
    },
    jsonSchemaDialect: 'https://spec.openapis.org/oas/3.1/dialect/base',
    paths,
    components: { schemas: { ErrorBody: jsonSchema(ErrorBodySchema, 'output') }, securitySchemes },
  };
}
