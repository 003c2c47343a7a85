/**
 * One host of the docker staging brought up as its instance would be: the AWS stand-ins on its
 * loopback loaded with the stack's build and secrets, then its role's start-up script, rendered
 * with what the stack's runtime gives that role, run as cloud-init runs it (root, `sh`), then its
 * services' own word that they are ready (a role without a health route is not waited for by its
 * script).
 */
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { StackOutputs } from '@multiclaw-lab/deploy';
import {
  FIXTURES,
  renderStartupScript,
  roleServices,
  STAND_IN_EXEC_ENV,
  type StandInAgents,
  type StandInFixtures,
  type StandInStack,
  stackRuntime,
  standInStartupConfig,
  startStandIns,
} from '@multiclaw-lab/deploy/startup-testing';
import { collectExit } from '@multiclaw-lab/network';
import type { StagingHost } from './docker-staging-plan.ts';

/** a start-up script installs packages it lacks and unpacks the build: minutes on a slow machine, never more */
const SCRIPT_TIMEOUT_MS = 300_000;
/** a service's ready line, polled inside the container (0.25 s apart) while its process runs */
const READY_TRIES = 240;
const PIDS = '/run/multiclaw-lab';

const tail = (text: string, lines = 30) => text.trimEnd().split('\n').slice(-lines).join('\n');

/** `docker exec` to completion, killed (with its client) past the bound. */
function exec(args: string[], timeoutMs: number) {
  return collectExit(spawn('docker', ['exec', ...args], { stdio: 'pipe' }), timeoutMs);
}

export async function bringUpHost(options: {
  host: StagingHost;
  container: string;
  stack: StandInStack;
  outputs: StackOutputs;
  fixtures: StandInFixtures;
  agents: StandInAgents;
  progress: (line: string) => void;
}): Promise<void> {
  const { host, container, progress } = options;
  progress(`${host.id}: starting the AWS stand-ins`);
  const arns = await startStandIns(container, { database: host.role === 'cloud' });
  const config = standInStartupConfig(options.fixtures, options.agents, {
    hostId: host.id,
    role: host.role,
    ...stackRuntime(host.role, options.stack, arns),
    logGroup: options.outputs.logGroups.components,
  });
  const file = `user-data-${host.id}.sh`;
  await writeFile(join(options.fixtures.dir, file), renderStartupScript(config), { mode: 0o644 });
  progress(`${host.id}: running the ${host.role} role's start-up script`);
  const run = await exec([...STAND_IN_EXEC_ENV, container, 'sh', `${FIXTURES}/${file}`], SCRIPT_TIMEOUT_MS);
  if (run.code !== 0)
    throw new Error(
      `${host.id}: its start-up script ${run.code === null ? `did not end within ${SCRIPT_TIMEOUT_MS / 1000} s` : `exited ${run.code}`}\n` +
        `--- stdout (last lines)\n${tail(run.stdout)}\n--- stderr (last lines)\n${tail(run.stderr)}`,
    );
  for (const service of roleServices(host.role)) {
    const log = `/var/log/multiclaw-lab/${service}.log`;
    // an exited process stays a zombie here (nothing reaps it), so a running one is neither gone nor Z
    const running = `ps -o stat= -p "$(cat ${PIDS}/${service}.pid)" | grep -qv '^Z'`;
    const ready = await exec(
      [
        container,
        'sh',
        '-c',
        `i=0; until grep -q '"event":"ready"' ${log}; do ${running} || exit 2; i=$((i + 1)); [ "$i" -lt ${READY_TRIES} ] || exit 1; sleep 0.25; done`,
      ],
      READY_TRIES * 1000,
    );
    if (ready.code !== 0) {
      const why = ready.code === 2 ? 'exited before its ready line' : `logged no ready line within ${READY_TRIES / 4} s`;
      const lines = await exec([container, 'tail', '-n', '30', log], 10_000);
      throw new Error(`${host.id}: ${service} ${why}\n--- ${log} (last lines)\n${lines.stdout}${lines.stderr}`);
    }
  }
  progress(`${host.id}: up (${roleServices(host.role).join(', ') || 'no service'})`);
}
