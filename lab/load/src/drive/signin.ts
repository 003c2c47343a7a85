/**
 * The signin profile: a credential-stuffing attack on `clients` accounts while real users sign
 * in. Real users sign in at a steady rate the whole run; after the first third (the quiet phase)
 * the attack starts: wrong passwords against the attacked accounts from every site host. At the
 * end each attacked account is tried with its right password, from outside the workers: a
 * locked account refuses even that (423), which is what the lockout promises.
 */
import { randomBytes } from 'node:crypto';
import { CloudApiError } from '@multiclaw-lab/core';
import { PUBLIC_NAMES } from '@multiclaw-lab/network';
import { routes, signUpAndIn } from '@multiclaw-lab/protocol';
import type { RunContext } from './context.ts';

/** real users beside the attack, and the rates (per second, over all workers) */
const LEGIT_USERS = 4;
const LEGIT_PER_SECOND = 4;
const ATTACK_PER_SECOND = 40;

async function accounts(run: RunContext, count: number, tag: string) {
  const made: Array<{ email: string; password: string }> = [];
  for (let i = 0; i < count; i += 4) {
    const batch = Array.from({ length: Math.min(4, count - i) }, async (_, j) => {
      const account = { email: `${tag}-${i + j}@multiclaw.test`, password: `pw-${randomBytes(12).toString('base64url')}` };
      await signUpAndIn(run.lab.api, { ...account, name: `${tag} ${i + j}` });
      return account;
    });
    made.push(...(await Promise.all(batch)));
  }
  return made;
}

/** Whether the account refuses its right password as locked. */
async function locked(run: RunContext, account: { email: string; password: string }): Promise<boolean> {
  try {
    await run.lab.api.request(routes.signIn, { body: account });
    return false;
  } catch (err) {
    return err instanceof CloudApiError && err.errorCode === 'account_locked';
  }
}

export async function driveSignin(run: RunContext): Promise<void> {
  const tag = randomBytes(3).toString('hex');
  const victims = await accounts(run, run.clients, `victim-${tag}`);
  const legit = await accounts(run, LEGIT_USERS, `user-${tag}`);
  const n = run.workers.length;
  for (const w of run.workers)
    w.startSignin(
      {
        cloudUrl: `https://${PUBLIC_NAMES.api}`,
        victims: victims.map((v) => v.email),
        legit,
        attackPerSecond: ATTACK_PER_SECOND / n,
        legitPerSecond: LEGIT_PER_SECOND / n,
      },
      run.deadline - Date.now() + 60_000,
    );
  const third = (run.deadline - Date.now()) / 3;
  run.progress(
    `signin: ${LEGIT_USERS} users signing in; the attack on ${run.clients} accounts starts in ${Math.round(third / 1000)} s`,
  );
  await new Promise((resolve) => setTimeout(resolve, third));
  await Promise.all(run.workers.map((w) => w.mark('attack')));
  run.mark('attack');
  run.progress(`signin: attacking ${run.clients} accounts at ${ATTACK_PER_SECOND}/s`);
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, run.deadline - Date.now())));
  run.mark('checked');
  let stillOpen = 0;
  for (const v of victims) if (!(await locked(run, v))) stillOpen += 1;
  run.metrics.add('victims_not_locked', stillOpen);
  run.progress(`signin: ${victims.length - stillOpen} of ${victims.length} attacked accounts locked`);
}
