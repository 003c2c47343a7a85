/**
 * What the tool checkers share: finding a program on the harness's PATH (the hosts see the same
 * file system), running it inside a lab host with that host's files, and keeping its raw output
 * as evidence of the run.
 */
import { accessSync, constants } from 'node:fs';
import { copyFile, mkdir } from 'node:fs/promises';
import { basename, delimiter, join } from 'node:path';
import type { Lab } from '@multiclaw-lab/core';
import type { ExecResult } from '@multiclaw-lab/network';
import type { Evidence } from '../model.ts';
import type { CheckerContext, CheckerResult } from './checker.ts';

const SYSTEM_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/** Absolute path of an executable, looked for on PATH and in the system folders; undefined if none. */
export function findProgram(name: string, extraDirs: readonly string[] = []): string | undefined {
  const dirs = [...extraDirs, ...(process.env.PATH ?? '').split(delimiter).filter(Boolean), ...SYSTEM_DIRS];
  for (const dir of dirs) {
    const path = join(dir, name);
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Runs `program` inside a host with the host's HOME (also its working folder), a system PATH and `env`. */
export function execInHost(
  lab: Lab,
  hostId: string,
  program: string,
  args: string[],
  options: { env?: Record<string, string>; timeoutMs: number; cwd?: string; user?: string },
): Promise<ExecResult> {
  const files = lab.hostFiles(hostId);
  return lab.driver.exec(hostId, program, args, {
    env: { PATH: `${SYSTEM_DIRS.join(':')}:${process.env.PATH ?? ''}`, HOME: files.home, ...options.env },
    timeoutMs: options.timeoutMs,
    ...(options.user ? { user: options.user } : {}),
    // tools drop caches in their working folder: never the repository's
    cwd: options.cwd ?? files.home,
  });
}

/** A file in the run's evidence folder, named after the checker so checkers never collide. */
export async function evidencePath(ctx: CheckerContext, checkerId: string, name: string): Promise<string> {
  await mkdir(ctx.evidenceDir, { recursive: true });
  return join(ctx.evidenceDir, `checker-${checkerId}-${name}`);
}

/** The evidence entry for a file written with evidencePath (or copied there when it lies elsewhere). */
export async function evidenceOf(ctx: CheckerContext, file: string, name: string, kind: Evidence['kind']): Promise<Evidence> {
  if (!file.startsWith(ctx.evidenceDir)) {
    const target = join(ctx.evidenceDir, basename(file));
    await copyFile(file, target);
    file = target;
  }
  return { name, path: `evidence/${basename(file)}`, kind };
}

/** Runs `tasks` at most `limit` at a time (the machine is small: tools that each take a core). */
export async function inBatches<T, R>(items: readonly T[], limit: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await task(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** A checker that runs from a site's desktop host: the first one, or the outcome saying there is none. */
export function siteDesktopOf(
  ctx: CheckerContext,
): { from: string } | { none: Omit<CheckerResult, 'id' | 'title' | 'claims' | 'durationMs'> } {
  const from = ctx.lab.topology.sites[0]?.desktops[0];
  if (from) return { from };
  const reason = 'the lab has no site desktop host to test from';
  return { none: { status: 'not-enough-evidence', summary: 'no site desktop host', reason, findings: [], evidence: [] } };
}
