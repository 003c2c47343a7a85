import type { Machine } from './machine.ts';
import type { SessionsResult } from './sessions.ts';
import type { TokenVerifyResult } from './token-verify.ts';

export interface BenchReport {
  machine: Machine;
  quick: boolean;
  tokenVerification: TokenVerifyResult | undefined;
  sessions: SessionsResult | undefined;
  /** how long the whole run took */
  durationMs: number;
}

const int = (n: number) => Math.round(n).toLocaleString('en-US');
const kib = (bytes: number) => (bytes / 1024).toFixed(1);
const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);

/** The short Markdown summary printed on stdout and pasted into the README. */
export function markdown(report: BenchReport): string {
  const m = report.machine;
  const out: string[] = [
    `Machine: ${m.cpus} × ${m.cpuModel}, ${m.memoryGiB} GiB, Node ${m.node}, ${m.platform}, ${m.date.slice(0, 10)}` +
      (report.quick ? ' (--quick)' : ''),
    '',
  ];
  const t = report.tokenVerification;
  if (t) {
    const rate = (s: { median: number; min: number; max: number }) => `${int(s.median)} (${int(s.min)}–${int(s.max)})`;
    out.push(
      `**WSS token verification** (HS256, ${t.tokenBytes}-byte user token; median of ${t.rawHmac.rounds} rounds, min–max)`,
      '',
      '| verifier | verifications/s | vs raw HMAC |',
      '|---|---:|---:|',
      `| cloud \`WssTokens.verify\`, one at a time | ${rate(t.cloudSequential)} | ${t.ratioSequentialToRaw.toFixed(2)}× |`,
      `| cloud \`WssTokens.verify\`, ${t.cloudConcurrent.inFlight} in flight | ${rate(t.cloudConcurrent)} | ${t.ratioConcurrentToRaw.toFixed(2)}× |`,
      `| node:crypto HMAC-SHA256 + compare | ${rate(t.rawHmac)} | 1.00× |`,
      '',
    );
  }
  const s = report.sessions;
  if (s) {
    out.push(
      `**Concurrent authenticated WSS sessions** (user channel, each welcomed, held past a ${s.heartbeatIntervalMs / 1000} s heartbeat; ` +
        `cloud process memory after a full GC; open-files limit bench ${s.openFilesLimit.bench ?? '?'}, cloud ${s.openFilesLimit.cloud ?? '?'})`,
      '',
      '| sessions | time to open new | opens/s | all stayed open | cloud RSS | cloud heap | RSS / session | heap / session |',
      '|---:|---:|---:|:---:|---:|---:|---:|---:|',
    );
    if (s.baseline) {
      out.push(`| 0 | – | – | – | ${mib(s.baseline.rssBytes)} MiB | ${mib(s.baseline.heapUsedBytes)} MiB | – | – |`);
    }
    for (const step of s.steps) {
      out.push(
        `| ${int(step.opened)} | ${int(step.openMs)} ms | ${int(step.opensPerSecond)} | ${step.allOpen ? 'yes' : `no (${step.stillOpen})`} | ` +
          `${mib(step.after.rssBytes)} MiB | ${mib(step.after.heapUsedBytes)} MiB | ${kib(step.rssPerSessionBytes)} KiB | ${kib(step.heapPerSessionBytes)} KiB |`,
      );
    }
    out.push('', s.stoppedBecause ? `Stopped early: ${s.stoppedBecause}.` : `All steps up to ${s.maxUsed} done.`);
  }
  return out.join('\n');
}
