import type { ScenarioContext } from '../context.ts';

export interface StoredStatus {
  seq: number;
  state: string;
  detail: string;
}

/** A task's statuses as the cloud stored them, read through its REST API (none while it cannot answer). */
export async function cloudStatuses(
  ctx: ScenarioContext,
  workspaceId: string,
  taskId: string,
  bearer: string,
): Promise<StoredStatus[]> {
  const res = await ctx.api.raw('GET', `/v1/workspaces/${workspaceId}/tasks/${taskId}/statuses`, { credential: bearer });
  if (res.status !== 200) return [];
  return (res.body as { statuses: StoredStatus[] }).statuses;
}
