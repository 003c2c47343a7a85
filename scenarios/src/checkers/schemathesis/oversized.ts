/**
 * An oversized request body must be refused with 413 and a JSON error a client can read (the
 * cloud's ErrorBody, code payload_too_large), before any credential is looked at and on a
 * signed-in route alike. Sent with curl from inside the host, as schemathesis' requests are, and
 * several times over: a server that closes the connection while the client is still sending can
 * reset it before the client reads the answer, which happens on some tries only.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorBodySchema } from '@multiclaw-lab/protocol';
import type { CheckerContext, CheckerFinding } from '../checker.ts';
import { execInHost } from '../tools.ts';

/** One MiB: four times the cloud's body limit, and far beyond any request the API documents. */
export const OVERSIZED_BYTES = 1024 * 1024;
/** Tries per route: enough that an answer lost one time in ten shows up nearly every run. */
export const OVERSIZED_TRIES = 20;

export interface OversizedTry {
  /** the HTTP status curl saw (0 or 100: no final answer) */
  status: number;
  body: string;
  /** curl's complaint, when the transfer failed */
  error?: string;
}

const what = (t: OversizedTry) => (t.status === 413 ? '' : t.error || `answered ${t.status || 'nothing'}`);

/** What every answer to an oversized body must be; one finding per way the tries fell short. */
export function judgeOversized(route: string, tries: readonly OversizedTry[]): CheckerFinding[] {
  const findings: CheckerFinding[] = [];
  const target = `${route} with a ${OVERSIZED_BYTES}-byte body`;
  const severity = 'oversized body';
  const bad = tries.filter((t) => t.status !== 413);
  if (bad.length > 0) {
    const seen = [...new Set(bad.map(what))].join('; ');
    findings.push({ target, message: `${bad.length} of ${tries.length} tries got no 413: ${seen}`, severity });
  }
  const answered = tries.find((t) => t.status === 413);
  if (!answered) return findings;
  let parsed: unknown;
  try {
    parsed = JSON.parse(answered.body);
  } catch {
    findings.push({ target, message: `the 413 is not JSON: ${answered.body.slice(0, 120)}`, severity });
    return findings;
  }
  const error = ErrorBodySchema.safeParse(parsed);
  if (!error.success) findings.push({ target, message: `the 413 is not an ErrorBody: ${answered.body.slice(0, 200)}`, severity });
  else if (error.data.error.code !== 'payload_too_large' || !error.data.error.message)
    findings.push({ target, message: `the 413 says ${error.data.error.code}, not payload_too_large with a message`, severity });
  return findings;
}

export async function checkOversizedBody(
  ctx: CheckerContext,
  hostId: string,
  ownerBearer: string,
  wid: string,
): Promise<{ findings: CheckerFinding[] }> {
  const dir = await mkdtemp(join(tmpdir(), 'mclab-oversized-'));
  try {
    const file = join(dir, 'body.json');
    await writeFile(file, `{"name":"${'x'.repeat(OVERSIZED_BYTES)}"}`);
    const findings: CheckerFinding[] = [];
    for (const [route, credential] of [
      ['POST /v1/auth/sign-up', undefined],
      [`POST /v1/workspaces/${wid}/agents`, ownerBearer],
    ] as const) {
      const [method, path] = route.split(' ') as [string, string];
      const args = [
        '-sS',
        '--cacert',
        ctx.lab.hostFiles(hostId).trustBundle,
        '-X',
        method,
        '-H',
        'content-type: application/json',
      ];
      if (credential) args.push('-H', `authorization: Bearer ${credential}`);
      args.push('--data-binary', `@${file}`, '-w', '\n%{http_code}', `https://api.multiclaw.test${path}`);
      const tries: OversizedTry[] = [];
      for (let i = 0; i < OVERSIZED_TRIES; i++) {
        const result = await execInHost(ctx.lab, hostId, 'curl', args, { timeoutMs: 30_000 });
        const lines = result.stdout.split('\n');
        const status = Number(lines.pop()) || 0;
        const error = result.stderr.trim();
        tries.push({ status, body: lines.join('\n'), ...(error ? { error } : {}) });
      }
      findings.push(...judgeOversized(route.replace(wid, '{wid}'), tries));
    }
    return { findings };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
