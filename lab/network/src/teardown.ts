/**
 * Removes everything a netns lab with this prefix made, with or without the driver that made
 * it (also after the harness was killed): every process in its namespaces (by PID: SIGTERM,
 * then SIGKILL), the namespaces (their veths, bridges and nft tables go with them), the
 * /etc/netns/<prefix>-* folders, and the state folder's run/ and hosts/ folders. It matches
 * names by `<prefix>-` only, so nothing without the prefix is ever touched.
 */
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { NotRootError, TeardownError } from './errors.ts';
import { belongsToPrefix, checkPrefix } from './names.ts';
import { ip, runCommand } from './run.ts';

export const ETC_NETNS = '/etc/netns';

export interface TeardownReport {
  prefix: string;
  namespaces: string[];
  killedPids: number[];
  etcNetns: string[];
  stateFolders: string[];
  /** everything removed, one line each (e.g. "namespace mcl-cloud", "process 1234", "/etc/netns/mcl-cloud") */
  removed: string[];
  /** true when nothing of this lab was there */
  nothingFound: boolean;
  message: string;
}

export interface TeardownOptions {
  stateDir?: string;
  /** how long processes get after SIGTERM before SIGKILL */
  graceMs?: number;
}

/** Names of all network namespaces on the machine. */
export async function listNamespaces(): Promise<string[]> {
  const out = await ip(['-j', 'netns', 'list']);
  if (!out.trim()) return [];
  const parsed = JSON.parse(out) as { name: string }[];
  return parsed.map((n) => n.name);
}

export async function labNamespaces(prefix: string): Promise<string[]> {
  return (await listNamespaces()).filter((n) => belongsToPrefix(prefix, n));
}

/** PIDs of the processes inside these namespaces (a vanished namespace has none). */
export async function pidsIn(namespaces: string[]): Promise<number[]> {
  const all = new Set<number>();
  await Promise.all(
    namespaces.map(async (ns) => {
      const r = await runCommand('ip', ['netns', 'pids', ns]);
      if (r.code !== 0) return;
      for (const word of r.stdout.split(/\s+/)) if (/^\d+$/.test(word)) all.add(Number(word));
    }),
  );
  return [...all].filter((p) => p !== process.pid).sort((a, b) => a - b);
}

function signal(pids: number[], sig: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, sig);
    } catch {
      // already gone
    }
  }
}

/** SIGTERM everything in the namespaces, then SIGKILL what is still there after the grace. */
export async function killNamespaceProcesses(namespaces: string[], graceMs = 3_000): Promise<number[]> {
  const killed = new Set<number>();
  let pids = await pidsIn(namespaces);
  for (const p of pids) killed.add(p);
  signal(pids, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  // A namespace's process list is the only reliable "is it gone" (a zombie has already left
  // its namespace), so poll it; processes started meanwhile are caught by the same loop.
  for (let round = 0; pids.length > 0; round++) {
    await delay(Math.min(50 * 2 ** Math.min(round, 4), 400));
    pids = await pidsIn(namespaces);
    for (const p of pids) killed.add(p);
    if (Date.now() >= deadline) signal(pids, 'SIGKILL');
    if (Date.now() >= deadline + 5_000 && pids.length > 0) {
      throw new TeardownError(`processes ${pids.join(', ')} in ${namespaces.join(', ')} survived SIGKILL (stuck in the kernel?)`);
    }
  }
  return [...killed].sort((a, b) => a - b);
}

async function prefixedEntries(dir: string, prefix: string): Promise<string[]> {
  try {
    return (await readdir(dir)).filter((n) => belongsToPrefix(prefix, n));
  } catch {
    return [];
  }
}

export async function teardownByPrefix(prefix: string, options: TeardownOptions = {}): Promise<TeardownReport> {
  checkPrefix(prefix);
  const namespaces = await labNamespaces(prefix);
  // listing needs no privileges, removing does: say so plainly instead of failing half-way
  if (namespaces.length > 0 && process.getuid?.() !== 0) throw new NotRootError(process.getuid?.());
  const killedPids = await killNamespaceProcesses(namespaces, options.graceMs);
  for (const ns of namespaces) {
    const r = await runCommand('ip', ['netns', 'delete', ns]);
    // someone else deleting it meanwhile is fine; anything else is not
    if (r.code !== 0 && (await labNamespaces(prefix)).includes(ns))
      throw new TeardownError(`ip netns delete ${ns} failed: ${r.stderr.trim()}`);
  }
  const etcNetns = await prefixedEntries(ETC_NETNS, prefix);
  for (const entry of etcNetns) await rm(join(ETC_NETNS, entry), { recursive: true, force: true });

  const stateFolders: string[] = [];
  if (options.stateDir) {
    for (const sub of ['run', 'hosts']) {
      const folder = join(options.stateDir, sub);
      const present = await readdir(folder).then(
        () => true,
        () => false,
      );
      if (!present) continue;
      await rm(folder, { recursive: true, force: true });
      stateFolders.push(folder);
    }
  }
  const nothingFound = namespaces.length === 0 && etcNetns.length === 0 && stateFolders.length === 0;
  const message = nothingFound
    ? `nothing of lab "${prefix}" was there; nothing to remove`
    : `removed lab "${prefix}": ${namespaces.length} namespaces, ${killedPids.length} processes, ${etcNetns.length} /etc/netns entries, ${stateFolders.length} state folders`;
  const removed = [
    ...killedPids.map((p) => `process ${p}`),
    ...namespaces.map((n) => `namespace ${n}`),
    ...etcNetns.map((e) => join(ETC_NETNS, e)),
    ...stateFolders,
  ];
  return { prefix, namespaces, killedPids, etcNetns, stateFolders, removed, nothingFound, message };
}
