/**
 * The whole-run checkers, in the order a run does them, and the one way to run a selection of
 * them: each on its own, out of time past its timeout, never throwing (an error is a failed
 * checker with the error as its finding).
 */
import type { CheckerContext, CheckerDefinition, CheckerResult } from './checker.ts';
import egressAudit from './egress-audit.ts';
import nmap from './nmap/nmap.ts';
import schemathesis from './schemathesis/schemathesis.ts';
import testssl from './testssl/testssl.ts';

export * from './checker.ts';

/**
 * The egress audit goes first: it reads the run's capture of every site's internet side, which the
 * scanners after it (testssl from a site host, nmap from the neighbour) would fill with their own
 * traffic.
 */
export const CHECKERS: readonly CheckerDefinition[] = [egressAudit, testssl, nmap, schemathesis];

export class UnknownCheckerError extends Error {
  constructor(id: string) {
    super(`no checker ${JSON.stringify(id)}; checkers: ${CHECKERS.map((c) => c.id).join(', ')}`);
    this.name = 'UnknownCheckerError';
  }
}

/** The checkers with these ids (all of them when `ids` is undefined), in CHECKERS order. */
export function selectCheckers(ids?: readonly string[]): CheckerDefinition[] {
  if (ids === undefined) return [...CHECKERS];
  for (const id of ids) if (!CHECKERS.some((c) => c.id === id)) throw new UnknownCheckerError(id);
  return CHECKERS.filter((c) => ids.includes(c.id));
}

export async function runChecker(def: CheckerDefinition, ctx: CheckerContext): Promise<CheckerResult> {
  const started = Date.now();
  const timeoutMs = def.timeoutMs ?? 300_000;
  let timer: NodeJS.Timeout | undefined;
  const base = { id: def.id, title: def.title, claims: def.claims };
  ctx.onProgress(`checker ${def.id}: ${def.title}`);
  try {
    const outcome = await Promise.race([
      def.run(ctx),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`checker ${def.id} did not finish within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    const result = { ...base, ...outcome, durationMs: Date.now() - started };
    ctx.onProgress(`checker ${def.id}: ${result.status} (${result.durationMs} ms): ${result.summary}`);
    return result;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    ctx.onProgress(`checker ${def.id}: failed: ${message}`);
    return {
      ...base,
      status: 'failed',
      durationMs: Date.now() - started,
      summary: `the checker itself failed: ${message}`,
      findings: [{ target: def.id, message }],
      evidence: [],
    };
  } finally {
    clearTimeout(timer);
  }
}

/** Runs the checkers one after the other (each uses the machine's cores on its own). */
export async function runCheckers(defs: readonly CheckerDefinition[], ctx: CheckerContext): Promise<CheckerResult[]> {
  const results: CheckerResult[] = [];
  for (const def of defs) results.push(await runChecker(def, ctx));
  return results;
}
