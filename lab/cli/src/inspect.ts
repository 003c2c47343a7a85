import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { StackOutputs } from '@multiclaw-lab/deploy';
import type { ErrorBody } from '@multiclaw-lab/protocol';
import { LabdUnreachableError, labdRequest, labdStreamLines } from './client.ts';
import type { CliContext } from './context.ts';
import { downCommand } from './down.ts';
import type { ExecOutcome, LabStatus } from './lab-api.ts';
import { isLabdAlive, type LabState, readState } from './state.ts';
import { followLines, readLastLines } from './tail.ts';

/**
 * `status`, `logs` and `exec`: they look inside a running lab through labd. When there is no
 * lab, or its supervisor is gone, they say so and what to do instead of a stack trace.
 */
async function lastWords(ctx: CliContext): Promise<string | undefined> {
  if (!existsSync(ctx.paths.labdLog)) return undefined;
  const text = await readFile(ctx.paths.labdLog, 'utf8');
  for (const line of text.trim().split('\n').reverse()) {
    try {
      const json = JSON.parse(line) as { event?: string; error?: string };
      if (json.event === 'up.failed' || json.event === 'down.failed') return json.error;
      // the log goes on across labs: what an earlier labd said is not this one's last word
      if (json.event === 'labd.started') return undefined;
    } catch {
      // not a JSON line (a crash trace); keep looking
    }
  }
  return undefined;
}

/** The running lab's state, or undefined after telling the user why there is none. */
async function runningLab(ctx: CliContext): Promise<LabState | undefined> {
  const state = await readState(ctx.paths);
  if (!state) {
    ctx.stderr('no lab is up; start one with: pnpm lab up (netns as root on Linux, docker otherwise; --driver chooses)\n');
    return undefined;
  }
  if (state.driver === 'aws') {
    // no labd serves an aws lab: logs are in CloudWatch
    ctx.stderr(
      `lab ${state.prefix} is attached to AWS stack ${state.aws?.stack}, where no harness runs its services: ` +
        'pnpm lab status lists its hosts, pnpm lab logs <host> reads their logs, pnpm lab exec <host> -- <command> runs a command there\n',
    );
    return undefined;
  }
  if (!isLabdAlive(state.labdPid)) {
    const why = await lastWords(ctx);
    ctx.stderr(
      `the ${state.driver} lab is broken: its supervisor labd (pid ${state.labdPid ?? 'none'}) is not running${why ? ` (it said: ${why})` : ''}.\n` +
        `clean it up with: ${downCommand(state.driver)}\n`,
    );
    return undefined;
  }
  return state;
}

async function ask<T>(
  ctx: CliContext,
  state: LabState,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
): Promise<T | undefined> {
  try {
    const res = await labdRequest<T | ErrorBody>(state.socket, method, path, body);
    if (res.status >= 400) {
      ctx.stderr(`${(res.body as ErrorBody).error?.message ?? `labd answered ${res.status}`}\n`);
      return undefined;
    }
    return res.body as T;
  } catch (err) {
    if (!(err instanceof LabdUnreachableError)) throw err;
    ctx.stderr(
      `labd (pid ${state.labdPid}) is running but does not answer yet (${err.message}); the lab may still be starting: pnpm lab logs labd -f\n`,
    );
    return undefined;
  }
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows
    .map((r) =>
      r
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function formatStatus(status: LabStatus): string {
  const bad = status.services.filter((s) => !s.healthy);
  const hosts = table([
    // what a host is on this machine: a network namespace, or a container for the docker driver
    ['host', 'role', 'site', status.driver === 'docker' ? 'container' : 'namespace', 'addresses'],
    ...status.hosts.map((h) => [h.id, h.role, h.site ?? '-', h.namespace, h.addresses.join(', ')]),
  ]);
  const services = table([
    ['service', 'host', 'kind', 'pid', 'health', 'detail'],
    ...status.services.map((s) => [
      s.id,
      s.host,
      s.kind,
      s.pid === null ? '-' : String(s.pid),
      s.healthy ? 'healthy' : 'UNHEALTHY',
      s.detail ?? '',
    ]),
  ]);
  const summary =
    bad.length === 0
      ? 'every service is healthy'
      : `${bad.length} of ${status.services.length} services unhealthy: ${bad.map((s) => s.id).join(', ')}`;
  const mutant = status.mutant ? `, WITH MUTANT ${status.mutant} (a deliberately broken MultiClaw)` : '';
  return `lab ${status.prefix} (${status.driver})${mutant}, up since ${status.startedAt}, state in ${status.stateDir}\n\n${hosts}\n\n${services}\n\n${summary}\n`;
}

/** An aws lab as `up --driver aws` found it: hosts and their instances, the endpoints. */
export function formatAwsStatus(state: LabState): string {
  const aws = state.aws!;
  const hosts = table([
    ['host', 'role', 'site', 'instance'],
    ...aws.hosts.map((h) => [h.id, h.role, h.site ?? '-', h.instanceId]),
  ]);
  const endpoints = aws.endpoints.map((e) => `  ${e.name}  ${e.url}`).join('\n');
  return (
    `lab ${state.prefix} (aws): attached to stack ${aws.stack} in ${aws.region} since ${state.startedAt}\n\n${hosts}\n\n` +
    `endpoints (answered /healthz when attached):\n${endpoints}\n\n` +
    'instance ids as found when attached (the auto scaling group may replace cloud instances); pnpm lab up --driver aws --stack ' +
    `${aws.stack} looks again\n`
  );
}

/** Exit 0 when every service is healthy, 1 otherwise (no lab, broken lab, or unhealthy). */
export async function status(ctx: CliContext, options: { json: boolean }): Promise<number> {
  const attached = await readState(ctx.paths);
  if (attached?.driver === 'aws') {
    ctx.stdout(
      options.json
        ? `${JSON.stringify({ prefix: attached.prefix, driver: 'aws', startedAt: attached.startedAt, ...attached.aws }, null, 2)}\n`
        : formatAwsStatus(attached),
    );
    return 0;
  }
  const state = await runningLab(ctx);
  if (!state) return 1;
  const result = await ask<LabStatus>(ctx, state, 'GET', '/status');
  if (!result) return 1;
  ctx.stdout(options.json ? `${JSON.stringify(result, null, 2)}\n` : formatStatus(result));
  return result.services.every((s) => s.healthy) ? 0 : 1;
}

export async function exec(ctx: CliContext, options: { host: string; argv: string[] }): Promise<number> {
  const attached = await readState(ctx.paths);
  if (attached?.driver === 'aws' && attached.aws && ctx.aws) {
    // no labd on an attached stack: the command goes to the instance through SSM Run Command
    const result = await ctx.aws.exec({ outputs: attached.aws.outputs, host: options.host, argv: options.argv });
    ctx.stdout(result.stdout);
    ctx.stderr(result.stderr);
    return result.code ?? 1;
  }
  const state = await runningLab(ctx);
  if (!state) return 1;
  const result = await ask<ExecOutcome>(ctx, state, 'POST', '/exec', { host: options.host, argv: options.argv });
  if (!result) return 1;
  ctx.stdout(result.stdout);
  ctx.stderr(result.stderr);
  return result.code ?? 1;
}

/** An attached stack's logs: a host's services' JSON lines, from CloudWatch Logs (no following). */
async function stackLogs(
  ctx: CliContext,
  outputs: StackOutputs,
  options: { service?: string; follow: boolean; lines: number },
): Promise<number> {
  if (!options.service || options.follow) {
    ctx.stderr(
      `lab logs on an attached stack reads one host's logs from CloudWatch Logs: pnpm lab logs <host> [-n N] ` +
        '(pnpm lab status lists the hosts; to follow them: aws logs tail --follow)\n',
    );
    return 1;
  }
  const lines = await ctx.aws!.logs({ outputs, host: options.service, lines: options.lines });
  for (const line of lines) ctx.stdout(`${line.message}\n`);
  return 0;
}

/**
 * `logs labd` reads the supervisor's own log straight from the file (it is what you want when
 * labd is the thing that is broken); every other service's log comes through labd.
 */
export async function logs(
  ctx: CliContext,
  options: { service?: string; follow: boolean; lines: number },
  signal?: AbortSignal,
): Promise<number> {
  if (options.service === 'labd') {
    if (!existsSync(ctx.paths.labdLog)) {
      ctx.stderr(`no labd log yet (${ctx.paths.labdLog})\n`);
      return 1;
    }
    const { lines, end } = await readLastLines(ctx.paths.labdLog, options.lines);
    for (const line of lines) ctx.stdout(`${line}\n`);
    if (options.follow)
      await followLines(ctx.paths.labdLog, end, (line) => ctx.stdout(`${line}\n`), signal ?? new AbortController().signal);
    return 0;
  }
  const attached = await readState(ctx.paths);
  if (attached?.driver === 'aws' && attached.aws && ctx.aws) return stackLogs(ctx, attached.aws.outputs, options);
  const state = await runningLab(ctx);
  if (!state) return 1;
  let services = options.service ? [options.service] : [];
  if (!options.service) {
    // the list only: /status would run every health check first
    const result = await ask<{ services: string[] }>(ctx, state, 'GET', '/services');
    if (!result) return 1;
    services = result.services;
  }
  const query = `lines=${options.lines}${options.follow ? '&follow=1' : ''}`;
  // one service: its lines as they are (JSON lines, for jq); several: each prefixed with its name
  const prefixed = services.length > 1 || !options.service;
  const results = await Promise.all(
    services.map((id) =>
      labdStreamLines(
        state.socket,
        `/logs/${encodeURIComponent(id)}?${query}`,
        (line) => ctx.stdout(prefixed ? `${id} | ${line}\n` : `${line}\n`),
        signal,
      ),
    ),
  );
  for (const r of results) if (r.error) ctx.stderr(`${r.error}\n`);
  return results.every((r) => r.status < 400) ? 0 : 1;
}
