/**
 * The storm every connection-holding profile shares: every site's link cut (toxiproxy `down`)
 * until each of the `opened` connections dropped (the cut is proven before it is healed), kept
 * cut for the outage (the clients' backoff grows meanwhile, as in a real one), a `heal` mark sent
 * to the workers, the heal, and a wait until every connection is back. Whatever did not come back
 * by the run's time limit counts in `sessions_not_back`.
 */
import { CLOUD_GROUP } from '@multiclaw-lab/core';
import { type RunContext, sum, until } from './context.ts';

export async function stormAndHeal(run: RunContext, opened: number): Promise<void> {
  if (run.fault === 'instance') return killAnInstance(run, opened);
  const { lab, workers } = run;
  run.progress(`storm: cutting the link of ${lab.topology.sites.map((s) => s.id).join(', ')} (toxiproxy down)`);
  run.mark('cut');
  for (const site of lab.topology.sites) run.faults.push(await lab.linkFault(site.id, 'down'));
  // the cut must show before it is healed: every connection dropped
  const cut = await until(workers, (ws) => sum(ws, 'connected') === 0, Math.min(run.deadline, Date.now() + 60_000));
  if (!cut) throw new Error(`the cut did not take effect: ${sum(workers, 'connected')} connections stayed up`);
  await new Promise((resolve) => setTimeout(resolve, Math.min(run.outageMs, Math.max(0, run.deadline - Date.now()))));
  // marked before the heal: a connection welcomed after the mark came back after the heal
  await Promise.all(workers.map((w) => w.mark('heal')));
  for (const f of run.faults.splice(0)) await f.heal();
  run.mark('heal');
  run.progress('storm: healed; waiting for every connection to come back');
  await until(
    workers,
    (ws) => {
      run.report(`back: ${sum(ws, 'back')}/${opened}`);
      return sum(ws, 'back') >= opened;
    },
    run.deadline,
  );
  run.mark('settled');
  run.metrics.add('sessions_not_back', Math.max(0, opened - sum(workers, 'back')));
}

/**
 * The other storm: the last cloud instance killed with SIGKILL while every connection is up. Its
 * connections drop (proven: fewer connected than opened) and come back through the load balancer
 * on the instances left; the `heal` mark is the kill itself, so `back_after_heal_ms` is each
 * dropped connection's way back and `settle_ms` the last one's. The instance is started again at
 * the end, as the lab was.
 */
async function killAnInstance(run: RunContext, opened: number): Promise<void> {
  const { lab, workers } = run;
  const victim = lab.serviceGroup(CLOUD_GROUP).at(-1)!.def.id;
  await Promise.all(workers.map((w) => w.mark('heal')));
  run.mark('cut');
  run.progress(`storm: killing ${victim} (SIGKILL) under ${opened} connections`);
  await lab.kill(victim);
  run.mark('heal');
  const cut = await until(workers, (ws) => sum(ws, 'connected') < opened, Math.min(run.deadline, Date.now() + 60_000));
  if (!cut) throw new Error(`killing ${victim} dropped no connection: none was on it`);
  run.progress(`storm: ${victim} killed; waiting for every connection to come back on the instances left`);
  await until(
    workers,
    (ws) => {
      run.report(`connected: ${sum(ws, 'connected')}/${opened}`);
      return sum(ws, 'connected') >= opened;
    },
    run.deadline,
  );
  run.mark('settled');
  run.metrics.add('sessions_not_back', Math.max(0, opened - sum(workers, 'connected')));
  run.progress(`storm: starting ${victim} again`);
  await lab.restart(victim);
}
