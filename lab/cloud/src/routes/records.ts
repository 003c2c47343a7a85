import { ProtocolError } from '@multiclaw-lab/protocol';
import { authenticate, requireMember } from '../auth/authenticate.ts';
import type { Ctx } from '../context.ts';
import { taskStatuses, transcript } from '../db/records.ts';
import type { App } from '../http/app.ts';
import { param } from '../http/params.ts';

/** The read side of what gateways and cloud desktops write over WSS. */
export function recordRoutes(app: App, ctx: Ctx): void {
  app.get('/v1/workspaces/:wid/tasks/:tid/statuses', async (request) => {
    const me = await authenticate(ctx, request.headers.authorization, ['bearer']);
    const wid = param(request, 'wid');
    await requireMember(ctx, me.userId, wid);
    return { statuses: await taskStatuses(ctx.db, wid, param(request, 'tid')) };
  });

  app.get('/v1/workspaces/:wid/transcripts/:cid', async (request) => {
    const me = await authenticate(ctx, request.headers.authorization, ['bearer']);
    const wid = param(request, 'wid');
    await requireMember(ctx, me.userId, wid);
    const cid = param(request, 'cid');
    const found = await transcript(ctx.db, wid, cid);
    if (!found) throw new ProtocolError('not_found', `no transcript ${cid} in this workspace`);
    return found;
  });
}
