/**
 * A run in a few numbers, the one definition of that shape: what `lab run` prints and what labd
 * sends back over its socket (the CLI parses labd's answer with the schema). Its own module, so
 * the command line can read it without loading the suite.
 */
import { z } from 'zod';

export const RunSummarySchema = z.object({
  runDir: z.string(),
  passed: z.number().int(),
  failed: z.number().int(),
  skipped: z.number().int(),
  /** planted secrets found in plaintext */
  canaryHits: z.number().int(),
  /** whole-run checkers (testssl, nmap, schemathesis…) that failed: each fails the run */
  checkersFailed: z.number().int().default(0),
  seed: z.number().int(),
  /** set when the run was one shard of the selection */
  shard: z.object({ index: z.number().int(), total: z.number().int(), selected: z.number().int() }).optional(),
  claims: z.object({
    verified: z.number().int(),
    failed: z.number().int(),
    untested: z.number().int(),
    untestable: z.number().int(),
    /** claims the pages contradict elsewhere: shown with both sentences, never verified */
    contradiction: z.number().int(),
  }),
  failures: z.array(z.object({ id: z.string(), message: z.string() })),
});
export type RunSummary = z.infer<typeof RunSummarySchema>;
