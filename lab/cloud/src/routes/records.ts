import { ProtocolError, routes } from '@multiclaw-lab/protocol';
import type { Ctx } from '../context.ts';
import { taskStatuses, transcript } from '../db/records.ts';
import type { App } from '../http/app.ts';
import { routeOn } from '../http/route.ts';

/** The read side of what gateways and cloud desktops write over WSS. */
export function recordRoutes(app: App, ctx: Ctx): void {
  const on = routeOn(app, ctx);

  on(routes.listTaskStatuses, async ({ params: { wid, tid } }) => ({ statuses: await taskStatuses(ctx.db, wid, tid) }));

  on(routes.getTranscript, async ({ params: { wid, cid } }) => {
    const found = await transcript(ctx.db, wid, cid);
    if (!found) throw new ProtocolError('not_found', `no transcript ${cid} in this workspace`);
    return found;
  });
}
