/** Median, min and max of a set of per-round rates: what the bench reports for every rate. */
export interface Spread {
  median: number;
  min: number;
  max: number;
  rounds: number;
}

export function spread(values: number[]): Spread {
  if (values.length === 0) throw new Error('spread() needs at least one value');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median, min: sorted[0]!, max: sorted[sorted.length - 1]!, rounds: sorted.length };
}

/**
 * Runs `op` for `rounds` rounds of about `roundMs` each (after one unreported warm-up round, so
 * the JIT and jose's key cache are warm) and returns operations per second per round. `op` is
 * called `batch` times between clock reads so reading the clock does not dominate fast ops;
 * one call counts as `opsPerCall` operations (for calls that run several concurrently).
 */
export async function measureRate(
  op: () => unknown | Promise<unknown>,
  options: { rounds: number; roundMs: number; batch?: number; opsPerCall?: number },
): Promise<Spread> {
  const batch = options.batch ?? 100;
  const opsPerCall = options.opsPerCall ?? 1;
  const round = async (): Promise<number> => {
    let done = 0;
    const start = performance.now();
    let elapsed = 0;
    while (elapsed < options.roundMs) {
      for (let i = 0; i < batch; i++) {
        // Only await what is asynchronous: awaiting a synchronous op would add a microtask
        // turn to each call and flatter the async ones it is compared with.
        const result = op();
        if (result instanceof Promise) await result;
      }
      done += batch * opsPerCall;
      elapsed = performance.now() - start;
    }
    return done / (elapsed / 1000);
  };
  await round();
  const rates: number[] = [];
  for (let r = 0; r < options.rounds; r++) rates.push(await round());
  return spread(rates);
}
