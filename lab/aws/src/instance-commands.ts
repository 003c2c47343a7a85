/**
 * Every script the aws driver sends to an instance, as text: what Run Command executes there as
 * root with /bin/sh. They are plain POSIX sh over Debian's own tools (nft, tcpdump, setpriv,
 * base64), so the same text runs on a docker-driver host, where the tests prove that each one
 * takes effect and that its counterpart heals it.
 *
 * Files the scripts keep on an instance live under INSTANCE_STATE_DIR; the start-up script
 * makes that folder when the instance boots.
 */
import { INSTANCE_CLOCK_FILE, INSTANCE_STATE_DIR } from '@multiclaw-lab/deploy/instance-layout';
import { shellCommand, shellQuote } from '@multiclaw-lab/kit';
import { tcpdumpArgs } from '@multiclaw-lab/network';
import type { InstanceCommand } from './transport.ts';

const RUN_DIR = `${INSTANCE_STATE_DIR}/run`;
const CAPTURE_DIR = `${INSTANCE_STATE_DIR}/captures`;

const NFT_END = 'MULTICLAW_LAB_NFT_END';

function safeName(kind: string, name: string): string {
  if (!/^[A-Za-z0-9_.-]+$/.test(name)) throw new TypeError(`unsafe ${kind} ${JSON.stringify(name)}`);
  return name;
}

export interface ProgramSpec {
  command: string;
  args: string[];
  /** the program's whole environment (nothing of the shell's is inherited) */
  env: Record<string, string>;
  cwd?: string;
  /** a system account to run as instead of root */
  user?: string;
  /** where to write the program's process id (for signals); a name, kept in the lab's run folder */
  pidName?: string;
}

/** the pid file of a program started with `pidName` */
export function pidFileOf(pidName: string): string {
  return `${RUN_DIR}/${safeName('pid name', pidName)}.pid`;
}

/**
 * Runs one program the way the other drivers do: exactly the given environment, as the given
 * account, its process id (kept through exec) written first when asked. A program named by a
 * path the instance lacks (the harness's own Node, say) is the instance's program of that name.
 */
export function runProgram(spec: ProgramSpec): InstanceCommand {
  const env = Object.entries(spec.env).map(([k, v]) => {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new TypeError(`not an environment variable name: ${JSON.stringify(k)}`);
    return `${k}=${v}`;
  });
  const user = spec.user ? safeName('account', spec.user) : undefined;
  const lines = ['set -e'];
  if (spec.cwd) lines.push(`cd ${shellQuote(spec.cwd)}`);
  lines.push(`program=${shellQuote(spec.command)}`);
  lines.push('case "$program" in /*) [ -x "$program" ] || program=$(basename "$program") ;; esac');
  if (spec.pidName) lines.push(`mkdir -p ${RUN_DIR}`, `echo $$ > ${pidFileOf(spec.pidName)}`);
  // the account's own primary group (nobody's is nogroup), looked up before the environment goes
  if (user) lines.push(`gid=$(id -g ${user})`);
  const drop = user ? ` setpriv --reuid=${user} --regid="$gid" --init-groups` : '';
  lines.push(`exec ${shellCommand(['env', '-i', ...env])}${drop} "$program" ${shellCommand(spec.args)}`.trimEnd());
  return { description: `run ${spec.command}`, script: `${lines.join('\n')}\n` };
}

/** Delivers a signal to a program started with a pid name, once its pid file is there. */
export function signalProgram(pidName: string, signal: NodeJS.Signals): InstanceCommand {
  const file = pidFileOf(pidName);
  const sig = safeName('signal', signal.replace(/^SIG/, ''));
  return {
    description: `send SIG${sig} to ${pidName}`,
    // a program that already ended has nothing left to signal: that is no failure
    script: `${waitForPidFile(file)}pid=$(cat ${file})\nkill -${sig} "$pid" 2>/dev/null || ! kill -0 "$pid" 2>/dev/null\n`,
  };
}

/** Prints the process id of a program started with a pid name. */
export function programPid(pidName: string): InstanceCommand {
  const file = pidFileOf(pidName);
  return { description: `read the pid of ${pidName}`, script: `${waitForPidFile(file)}cat ${file}\n` };
}

/** a program's pid file is written by its own first line: give it up to 10 s to get there */
function waitForPidFile(file: string): string {
  return `i=0
until [ -s ${file} ]; do
  i=$((i + 1)); [ $i -le 100 ] || { echo "no pid file ${file}: the program never started" >&2; exit 1; }
  sleep 0.1
done
`;
}

/** Loads an nft ruleset (one table); nft refuses a ruleset it cannot apply whole. */
export function nftLoad(ruleset: string): InstanceCommand {
  if (ruleset.split('\n').some((line) => line.trim() === NFT_END))
    throw new TypeError(`a ruleset may not contain the line ${NFT_END}`);
  const table = /^table ip (\S+)/m.exec(ruleset)?.[1] ?? 'nft';
  return { description: `load nft table ${table}`, script: `nft -f - <<'${NFT_END}'\n${ruleset.trimEnd()}\n${NFT_END}\n` };
}

/** Deletes one of the lab's nft tables: the fault it holds is healed. */
export function nftDelete(table: string): InstanceCommand {
  return { description: `delete nft table ${table}`, script: `nft delete table ip ${safeName('nft table', table)}\n` };
}

/** Exits 0 when the table exists. */
export function nftHas(table: string): InstanceCommand {
  return { description: `look for nft table ${table}`, script: `nft list table ip ${safeName('nft table', table)} >/dev/null\n` };
}

/** Prints the names of the lab's fault tables (`lab_*`) present on the instance, one per line. */
export function nftLabTables(): InstanceCommand {
  return {
    description: 'list the lab’s nft tables',
    script: `nft list tables ip | sed -n 's/^table ip \\(lab_[A-Za-z0-9_]*\\)$/\\1/p'\n`,
  };
}

export interface CaptureSpec {
  /** names the capture's files on the instance */
  name: string;
  iface: string;
  filter?: string;
}

function captureFiles(name: string) {
  const base = `${CAPTURE_DIR}/${safeName('capture name', name)}`;
  return { pcap: `${base}.pcap`, log: `${base}.log`, pid: `${base}.pid` };
}

/**
 * Starts tcpdump in its own session (it outlives the command that started it) and returns once
 * it listens, so nothing sent after this returns is missed.
 */
export function captureStart(spec: CaptureSpec): InstanceCommand {
  const f = captureFiles(spec.name);
  const tcpdump = shellCommand(['tcpdump', ...tcpdumpArgs(safeName('interface', spec.iface), f.pcap, spec.filter)]);
  return {
    description: `capture on ${spec.iface}${spec.filter ? ` (${spec.filter})` : ''}`,
    script: `set -eu
mkdir -p ${CAPTURE_DIR}
rm -f ${f.pcap} ${f.log}
setsid ${tcpdump} >${f.log} 2>&1 </dev/null &
echo $! > ${f.pid}
i=0
until grep -q 'listening on' ${f.log}; do
  kill -0 "$(cat ${f.pid})" 2>/dev/null || { cat ${f.log} >&2; exit 1; }
  i=$((i + 1)); [ $i -le 100 ] || { echo "tcpdump did not start listening within 10 s" >&2; cat ${f.log} >&2; exit 1; }
  sleep 0.1
done
`,
  };
}

/**
 * Stops a capture (SIGINT: tcpdump writes out what it holds) and prints the pcap as base64, then
 * removes its files. Stopping a capture that is gone prints nothing and succeeds.
 */
export function captureStop(name: string): InstanceCommand {
  const f = captureFiles(name);
  return {
    description: `stop capture ${name}`,
    script: `set -eu
pid=$(cat ${f.pid} 2>/dev/null || true)
if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
  kill -INT "$pid"
  while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
fi
[ ! -f ${f.pcap} ] || base64 ${f.pcap}
rm -f ${f.pcap} ${f.log} ${f.pid}
`,
  };
}

/** Moves the instance's lab clock to real time + `seconds` (atomically: a reader never sees half a file). */
export function clockSet(seconds: number): InstanceCommand {
  if (!Number.isInteger(seconds)) throw new RangeError('clock offsets are whole seconds');
  const offset = `${seconds >= 0 ? '+' : ''}${seconds}`;
  return {
    description: `set the clock to ${offset} s`,
    script: `set -eu
mkdir -p ${INSTANCE_STATE_DIR}
printf '%s\\n' ${offset} > ${INSTANCE_CLOCK_FILE}.new
mv -f ${INSTANCE_CLOCK_FILE}.new ${INSTANCE_CLOCK_FILE}
`,
  };
}
