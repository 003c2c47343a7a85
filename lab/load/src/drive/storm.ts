/**
 * The storm every connection-holding profile shares: every site's link cut (toxiproxy `down`)
 * until each of the `opened` connections dropped (the cut is proven before it is healed), kept
 * cut for the outage (the clients' backoff grows meanwhile, as in a real one), a `heal` mark sent
 * to the workers, the heal, and a wait until every connection is back. Whatever did not come back
 * by the run's time limit counts in `sessions_not_back`.
 */
import { type RunContext, sum, until } from './context.ts';

export async function stormAndHeal(run: RunContext, opened: number): Promise<void> {
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
