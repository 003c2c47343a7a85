/**
 * How many files a long-lived service may open. A load of thousands of sessions needs a few
 * descriptors per session in toxiproxy, HAProxy and the cloud, more than a machine's usual
 * limit, so the netns driver starts services with a raised one (util-linux prlimit). Raising the
 * hard limit takes CAP_SYS_RESOURCE and stops at fs.nr_open; without that capability (a
 * container, a restricted root) the soft limit can still go up to the hard one.
 */
import { readFileSync } from 'node:fs';

/** what a long-lived service asks for */
export const SERVICE_OPEN_FILES = 262_144;

export interface FdLimitFacts {
  /** CAP_SYS_RESOURCE is in the harness's effective set */
  canRaiseHard: boolean;
  /** /proc/sys/fs/nr_open: the most any process may have */
  nrOpen: number;
  /** the harness's own hard RLIMIT_NOFILE */
  hard: number;
}

/** The limit (soft = hard) a service that wants `wanted` gets, given what this process may do. */
export function openFileLimit(wanted: number, facts: FdLimitFacts): number {
  return facts.canRaiseHard ? Math.min(wanted, facts.nrOpen) : Math.min(wanted, facts.hard);
}

const CAP_SYS_RESOURCE = 24n;

/** Reads the facts from /proc for this process. */
export function readFdLimitFacts(): FdLimitFacts {
  const status = readFileSync('/proc/self/status', 'utf8');
  const capEff = BigInt(`0x${/^CapEff:\s*([0-9a-f]+)/m.exec(status)?.[1] ?? '0'}`);
  const limits = readFileSync('/proc/self/limits', 'utf8');
  const hard = /^Max open files\s+\S+\s+(\S+)/m.exec(limits)?.[1];
  return {
    canRaiseHard: ((capEff >> CAP_SYS_RESOURCE) & 1n) === 1n,
    nrOpen: Number(readFileSync('/proc/sys/fs/nr_open', 'utf8').trim()),
    hard: hard === undefined || hard === 'unlimited' ? Number.MAX_SAFE_INTEGER : Number(hard),
  };
}
