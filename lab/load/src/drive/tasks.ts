/**
 * The tasks profile: task status updates are never lost and arrive exactly once and in order,
 * through a storm. `clients` gateways are linked to one workspace through the cloud's API (a
 * workspace token each, as the desktop app links a gateway), shared out over the workers, and
 * each streams status updates for a few tasks at a steady rate. After a sixth of the run's time,
 * every site's link is cut, kept cut for the outage and healed (the shared storm), and every
 * gateway must come back (the gateways' own backoff decides when, so the run's time is a bound,
 * as the storm profile's is); they stream on for another sixth. Then the tasks end, every outbox
 * is delivered, and the cloud's database (not its logs) is checked against what the gateways sent.
 */
import { randomBytes } from 'node:crypto';
import { PUBLIC_NAMES } from '@multiclaw-lab/network';
import { routes, signUpAndIn } from '@multiclaw-lab/protocol';
import { readTaskStatuses } from '../coordinator/task-statuses.ts';
import { checkTaskStatuses } from '../task-check.ts';
import { type RunContext, sum, until } from './context.ts';
import { stormAndHeal } from './storm.ts';

/** each gateway's own tasks, and the updates it makes a second over them */
export const TASKS_PER_GATEWAY = 3;
export const UPDATES_PER_SECOND = 2;
/** how long the gateways may take to deliver what is queued once the tasks end */
const DRAIN_MS = 30_000;
/** workspace tokens asked for at once */
const LINK_CONCURRENCY = 8;

async function linkGateways(run: RunContext): Promise<Array<{ instanceId: string; authToken: string }>> {
  const tag = randomBytes(3).toString('hex');
  const { bearer } = await signUpAndIn(run.lab.api, {
    email: `load-tasks-${tag}@multiclaw.test`,
    password: `pw-${randomBytes(12).toString('base64url')}`,
    name: `load tasks ${tag}`,
  });
  const workspace = await run.lab.api.request(routes.createWorkspace, {
    credential: bearer,
    body: { name: `load tasks ${tag}` },
  });
  const linked: Array<{ instanceId: string; authToken: string }> = [];
  for (let i = 0; i < run.clients; i += LINK_CONCURRENCY) {
    const batch = Array.from({ length: Math.min(LINK_CONCURRENCY, run.clients - i) }, (_, j) =>
      run.lab.api.request(routes.createGatewayToken, {
        credential: bearer,
        params: { wid: workspace.id },
        body: { deviceName: `load gateway ${i + j + 1}` },
      }),
    );
    for (const g of await Promise.all(batch)) linked.push({ instanceId: g.instanceId, authToken: g.authToken });
  }
  return linked;
}

const pause = (run: RunContext, ms: number) =>
  new Promise((resolve) => setTimeout(resolve, Math.max(0, Math.min(ms, run.deadline - Date.now()))));

export async function driveTasks(run: RunContext): Promise<void> {
  const gateways = await linkGateways(run);
  const startedAt = Date.now();
  let next = 0;
  for (const w of run.workers) {
    w.startTasks(
      {
        cloudUrl: `https://${PUBLIC_NAMES.api}`,
        gateways: gateways.slice(next, next + w.clients),
        tasksPerGateway: TASKS_PER_GATEWAY,
        updatesPerSecond: UPDATES_PER_SECOND,
      },
      run.deadline - Date.now() + 60_000 + DRAIN_MS,
    );
    next += w.clients;
  }
  await until(
    run.workers,
    (ws) => {
      run.report(`linking: ${sum(ws, 'connected')}/${run.clients} gateways connected, ${sum(ws, 'failed')} refused`);
      return ws.every((w) => w.triedAll);
    },
    run.deadline,
  );
  run.mark('opened');
  const opened = sum(run.workers, 'connected');
  run.progress(
    `tasks: ${opened} of ${run.clients} gateways connected, each streaming ${UPDATES_PER_SECOND} updates/s over ${TASKS_PER_GATEWAY} tasks`,
  );
  // a sixth of the run streams undisturbed before the storm, and a sixth after every gateway is back
  const quietMs = (run.deadline - startedAt) / 6;
  await pause(run, startedAt + quietMs - Date.now());
  await stormAndHeal(run, opened);
  run.progress(`tasks: streaming on for ${Math.round(Math.min(quietMs, run.deadline - Date.now()) / 1000)} s`);
  await pause(run, quietMs);
  run.mark('drain');
  run.progress('tasks: ending the tasks and delivering every queued update');
  const ledgers = (await Promise.all(run.workers.map((w) => w.drain(DRAIN_MS)))).flat();
  run.mark('checked');
  const rows = await readTaskStatuses(
    run.lab,
    gateways.map((g) => g.instanceId),
  );
  const check = checkTaskStatuses(ledgers, rows);
  run.metrics.add('lost_updates', check.lost);
  run.metrics.add('duplicated_updates', check.duplicated);
  run.metrics.add('out_of_order_updates', check.outOfOrder);
  run.metrics.set('updates_stored', check.stored);
  const sent = ledgers.reduce((n, l) => n + l.sent, 0);
  run.progress(
    `tasks: the database holds ${check.stored} statuses of ${check.tasks} tasks (${sent} sent): ` +
      `${check.lost} lost, ${check.duplicated} duplicated, ${check.outOfOrder} out of order`,
  );
  for (const example of check.examples) run.progress(`tasks: ${example}`);
}
