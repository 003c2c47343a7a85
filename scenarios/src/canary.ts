import { readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Lab } from '@multiclaw-lab/core';
import { findPostgresBin } from '@multiclaw-lab/kit';
import type { CheckerResult } from './checkers/checker.ts';
import type { CanaryReport } from './model.ts';

/**
 * The secret canary: every key and password a run planted is searched for, in plaintext, in
 * every artifact — every file of the lab's state folder (all service logs, every host's HOME,
 * trust store and config, captures) and a dump of the cloud's database. Any hit is a failure.
 */
/**
 * The claims the canary judges: configuration values and keys stay out of logs and diagnostics,
 * passwords are not retained, and API keys do not come back in what reaches the cloud. A planted
 * secret found where it has no business fails them (a whole-run checker, not a scenario).
 */
export const CANARY_CLAIMS = ['CS-12', 'CS-13', 'CS-44', 'NS-42'] as const;

async function* filesUnder(dir: string): AsyncGenerator<string> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => []);
  for (const e of entries) if (e.isFile()) yield join(e.parentPath, e.name);
}

/** Dumps the cloud database (as text) into `file`; returns whether it worked. */
export async function dumpDatabase(lab: Lab, file: string): Promise<boolean> {
  if (lab.remote) {
    await writeFile(file, await lab.remote.dumpDatabase());
    return true;
  }
  const pgDump = join(dirname(findPostgresBin('postgres')), 'pg_dump');
  const result = await lab.driver.exec(
    'db',
    pgDump,
    ['-h', join(lab.stateDir, 'pg', 'sock'), '-U', 'lab', '--no-owner', 'postgres'],
    {
      user: 'postgres',
      env: { PATH: process.env.PATH },
      timeoutMs: 60_000,
    },
  );
  if (result.code !== 0) return false;
  await writeFile(file, result.stdout);
  return true;
}

/**
 * Scans every file under `roots` for every planted secret. `allowedIn` maps a secret to the
 * absolute paths of the files where it is documented to live in plaintext (e.g. a local-only
 * agent's key in that host's openclaw.json): a hit in exactly such a file is not reported; a hit
 * anywhere else still is.
 */
export async function scanForSecrets(
  planted: Map<string, string>,
  roots: string[],
  allowedIn: ReadonlyMap<string, readonly string[]> = new Map(),
): Promise<CanaryReport> {
  const hits: CanaryReport['hits'] = [];
  let filesScanned = 0;
  const needles = [...planted.entries()].map(([secret, label]) => ({
    bytes: Buffer.from(secret),
    label,
    allowed: new Set((allowedIn.get(secret) ?? []).map((f) => resolve(f))),
  }));
  for (const root of roots) {
    for await (const file of filesUnder(root)) {
      const bytes = await readFile(file).catch(() => undefined);
      if (!bytes) continue;
      filesScanned++;
      for (const n of needles) if (bytes.includes(n.bytes) && !n.allowed.has(resolve(file))) hits.push({ file, label: n.label });
    }
  }
  return { planted: planted.size, filesScanned, hits };
}

/**
 * The canary as a whole-run checker: failed on any hit; not enough evidence when the run planted
 * nothing (there was nothing to look for, which is not a pass).
 */
export function canaryVerdict(canary: CanaryReport, durationMs: number): CheckerResult {
  const base = {
    id: 'canary',
    title: 'Secret canary: no planted secret in plaintext anywhere',
    claims: [...CANARY_CLAIMS],
    durationMs,
  };
  const summary = `${canary.planted} planted secrets searched for in ${canary.filesScanned} files`;
  if (canary.planted === 0) {
    const reason = 'the run planted no secret, so the scan had nothing to look for';
    return { ...base, status: 'not-enough-evidence', summary: reason, reason, findings: [], evidence: [] };
  }
  const findings = canary.hits.map((h) => ({ target: h.file, message: `plaintext ${h.label}` }));
  return { ...base, status: findings.length > 0 ? 'failed' : 'passed', summary, findings, evidence: [] };
}
