import { openApiDocument, ROUTE_LIST, routes } from '@multiclaw-lab/protocol';
import type { Ctx } from '../context.ts';
import type { App } from '../http/app.ts';
import { routeOn } from '../http/route.ts';
import { CLOUD_VERSION } from '../version.ts';

/** Liveness, and the API's own description (generated once, from the same table that registers the routes). */
export function serviceRoutes(app: App, ctx: Ctx): void {
  const on = routeOn(app, ctx);
  const openApi = openApiDocument(ROUTE_LIST, { version: CLOUD_VERSION });

  on(routes.health, async () => ({ status: 'ok' as const, version: CLOUD_VERSION }));

  on(routes.getOpenApi, async () => openApi);
}
