import { type ParseArgsOptionsConfig, parseArgs } from 'node:util';
import { MAX_CLOUD_INSTANCES } from '@multiclaw-lab/core/defaults';
import {
  isProfileName,
  isStormFault,
  PROFILE_NAMES,
  type ProfileName,
  STORM_FAULTS,
  type StormFault,
} from '@multiclaw-lab/load/profiles';
import { parseThreshold } from '@multiclaw-lab/load/thresholds';
import { type DriverName, isDriverName } from './driver-choice.ts';

/** What the user asked for, checked; main.ts only dispatches on it. */
export type Command =
  /** driver: absent when --driver was not given (LAB_DRIVER or the machine decides: driver-choice.ts) */
  | {
      name: 'up';
      driver?: DriverName;
      sites?: number;
      desktops?: number;
      /** cloud processes behind HAProxy on the cloud host (1 = no HAProxy) */
      cloudInstances?: number;
      mutant?: string;
      stack?: string;
    }
  /** the AWS staging stack: preview, deploy (up) or destroy */
  | { name: 'deploy'; stack: string; preview: boolean; destroy: boolean }
  | { name: 'status'; json: boolean }
  | { name: 'logs'; service?: string; follow: boolean; lines: number }
  | { name: 'exec'; host: string; argv: string[] }
  | { name: 'down'; prefix?: string }
  | { name: 'doctor'; json: boolean; install: boolean; aws?: true }
  | { name: 'images'; force: boolean }
  /** drivers: render the newest report again with a claims column per driver (reports/drivers/) */
  | { name: 'report'; drivers?: true }
  | {
      name: 'run';
      ids: string[];
      tags: string[];
      seed?: number;
      shard?: Shard;
      /** whole-run checkers to run after the scenarios, by id; absent: all of them */
      checkers?: string[];
      /** false: no scenario at all, only the checkers (--checkers-only) */
      scenarios?: false;
      /** for a fresh lab (none up) */
      driver?: DriverName;
      /** with --driver aws and nothing attached: the stack to attach to for this run */
      stack?: string;
    }
  | { name: 'mutate'; ids: string[]; tags: string[]; list: boolean; seed?: number; driver?: DriverName }
  /** a bounded load run on the running lab */
  | {
      name: 'load';
      profile: ProfileName;
      clients?: number;
      durationS?: number;
      fault?: StormFault;
      tlsResumption?: boolean;
      thresholds: string[];
    }
  | { name: 'help' };

export const USAGE = `usage: pnpm lab <command> [options]

  up [--sites N] [--desktops N]                    bring the lab up (default 1 site, 3 desktops); exits 0 when every service is healthy
     [--driver netns|docker]                       netns: namespaces, root; docker: containers, a Docker daemon, no root;
                                                   default: LAB_DRIVER, else netns as root on Linux, docker otherwise
     [--mutant ID]                                 ... with one catalogued defect switched on (see mutate --list)
     [--cloud-instances N]                         ... with N cloud processes (1-8, default 1) behind HAProxy on the
                                                   cloud host, as the AWS stack's auto scaling group behind its ALB
  up --driver aws [--stack NAME]                   attach to a deployed AWS stack (default staging): every instance must
                                                   answer SSM, the cloud /healthz, the LLM replica at all; changes
                                                   nothing on AWS, and down only detaches (there: exec runs through
                                                   SSM, logs <host> [-n N] reads CloudWatch Logs)
  deploy [--stack NAME] [--preview] [--destroy]    the AWS staging replica (default stack staging) through the Pulumi
                                                   Automation API: builds the artifacts, then pulumi up (--preview:
                                                   only show the changes, nothing on AWS changes; --destroy: remove the
                                                   stack's resources); needs Linux x64, the pulumi CLI logged in to a
                                                   backend and AWS credentials (see: pnpm lab doctor)
  status [--json]                                  hosts, addresses, services and their health
  logs [service] [-f] [-n N]                       a service's log (no service: every service), -f follows
  exec <host> -- <command...>                      run a command inside a host
  down [--prefix P]                                remove everything the lab made (also after a crash);
                                                   --prefix (or LAB_PREFIX): a lab this folder has no state for,
                                                   its namespaces (root) and containers (by label) both
  doctor [--json] [--install]                      what is installed, what is missing, how to get it
         [--aws]                                   ... and ask AWS whose credentials these are (STS), failing if none
  images [--force]                                 build the docker driver's images (offline; only when their
                                                   inputs changed, --force: anyway)
  run [scenario ids] [--tag T]... [--seed N]        run scenarios (all by default) on the running lab, or on a
      [--shard i/n]                                fresh one if none is up; writes reports/<run-id>/ and
                                                   reports/latest/; exits non-zero on any failure;
                                                   --shard: only part i of n of the selected scenarios
      [--checkers ID,...] [--no-checkers]          then the whole-run checkers (testssl, nmap, schemathesis; all
      [--checkers-only]                            by default, shard 1 only): --checkers picks some, --no-checkers
                                                   none, --checkers-only runs them without any scenario
      [--driver netns|docker]                      the fresh lab's driver (as for up)
      [--driver aws [--stack NAME]]                on a deployed AWS stack: the attached one, else NAME (default
                                                   staging) attached for this run; the lab's clients run on its
                                                   instances, what the stack cannot do is skipped with the reason
  mutate [mutant ids] [--tag T]... [--list]        for each mutant (all by default): a fresh lab with that defect on,
                                                   the scenarios that name its claims; a mutant is killed when a
                                                   check of one of its claims fails; writes reports/mutants/;
                                                   exits non-zero if any survived; --list: the catalogue;
                                                   --driver: as for up
  load <profile> [--clients N] [--duration S]      a bounded load run on the running lab: workers inside the site
       [--threshold EXPR]...                       hosts; profiles: sessions (hold N sessions), storm (cut every
                                                   site's link, heal, time until all are back), signin (an attack
                                                   on N accounts beside real users' sign-ins), tasks (N gateways'
                                                   task statuses through a storm, checked in the database: none
                                                   lost, none twice, in order), turn (N relayed sessions
                                                   through coturn over UDP and over TLS, coturn's own load
                                                   client); each has default
                                                   thresholds, --threshold adds one (p99(reconnect_ms) < 1500,
                                                   lost_updates == 0); writes reports/load/<run-id>/; exits
                                                   non-zero when a threshold fails
       [--fault links|instance]                    storm, tasks: cut every site's link (default) or kill a
                                                   cloud instance (a lab with --cloud-instances 2 or more)
       [--tls-resumption]                          sessions, storm: each session resumes its TLS session
                                                   when it reconnects (the app as shipped does not)
  report                                           where the latest scenario report is
     [--drivers]                                   ... rendered again with one claims column per driver
                                                   (each driver's newest results, reports/drivers/)

State lives in .lab/ at the repository root (LAB_STATE_DIR overrides).`;

/** the shape of a mutant id (the catalogue itself is checked when a lab is made with it) */
const MUTANT_ID = /^[a-z0-9]+(-[a-z0-9]+)*$/;

/** Lab prefixes name namespaces (`<prefix>-<host>`, at most 15 characters), so they stay short. */
export const PREFIX = /^[a-z][a-z0-9]{0,7}$/;

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** `--checkers a,b` / `--no-checkers`: which whole-run checkers (the scenarios package knows the ids). */
function parseCheckers(list: string | undefined, none: boolean, only: boolean): string[] | undefined {
  if (none && (list !== undefined || only))
    throw new UsageError('run: --no-checkers goes with neither --checkers nor --checkers-only');
  if (none) return [];
  if (list === undefined) return undefined;
  const ids = list.split(',').filter(Boolean);
  const bad = ids.find((id) => !/^[a-z0-9]+(-[a-z0-9]+)*$/.test(id));
  if (ids.length === 0 || bad !== undefined)
    throw new UsageError(
      `run: --checkers is a comma-separated list of checker ids (testssl,nmap,schemathesis), not ${JSON.stringify(list)}`,
    );
  return ids;
}

/** `--shard i/n`: part i (1-based) of the selected scenarios split into n parts. */
export interface Shard {
  index: number;
  total: number;
}

export function parseShard(value: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(value);
  if (!m) throw new UsageError(`run: --shard is i/n, part i of n (e.g. --shard 2/3), not ${JSON.stringify(value)}`);
  const index = Number(m[1]);
  const total = Number(m[2]);
  if (!Number.isSafeInteger(total) || total < 1)
    throw new UsageError(`run: --shard ${value}: n, the number of shards, is at least 1`);
  if (index < 1 || index > total) throw new UsageError(`run: --shard ${value}: i runs from 1 to ${total}`);
  return { index, total };
}

/** desktop hosts per site when `lab up` is not told: the scenario suite uses three (s1-d1…d3) */
export { DEFAULT_DESKTOPS } from '@multiclaw-lab/core/defaults';

function count(flag: string, value: string | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < min)
    throw new UsageError(`${flag} takes a whole number of at least ${min}, not ${JSON.stringify(value)}`);
  return Number(value);
}

/**
 * A staging stack's name: it becomes part of AWS resource names, so lowercase letters, digits and
 * `-` (S3 takes no capitals, KMS aliases no dots), starting with a letter, at most 20 characters,
 * and not `sg-…` (EC2 refuses security group names that start so).
 */
function stackName(command: string, value: string): string {
  if (!/^[a-z][a-z0-9-]{0,19}$/.test(value) || value.startsWith('sg-'))
    throw new UsageError(
      `${command}: --stack is a stack name like staging (lowercase letters, digits and -, starting with a letter, ` +
        `at most 20 characters, not sg-…: it becomes part of AWS resource names), not ${JSON.stringify(value)}`,
    );
  return value;
}

/** `--driver X`, checked; undefined when not given. */
function driverFlag(command: string, value: string | undefined): DriverName | undefined {
  if (value === undefined) return undefined;
  if (!isDriverName(value)) throw new UsageError(`${command}: --driver is netns, docker or aws, not ${JSON.stringify(value)}`);
  return value;
}

function optionalDriver(command: string, value: string | undefined): { driver?: DriverName } {
  const driver = driverFlag(command, value);
  return driver === undefined ? {} : { driver };
}

function parse<const O extends ParseArgsOptionsConfig>(command: string, args: string[], options: O, positionals: number) {
  try {
    const parsed = parseArgs({ args, options, allowPositionals: positionals > 0, strict: true });
    if (parsed.positionals.length > positionals)
      throw new UsageError(`${command}: unexpected argument ${JSON.stringify(parsed.positionals[positionals])}`);
    return parsed;
  } catch (err) {
    if (err instanceof UsageError) throw err;
    // node:util's messages name the flag ("Unknown option '--x'"); keep them, say which command
    throw new UsageError(`${command}: ${(err as Error).message}`);
  }
}

export function parseCommand(argv: string[]): Command {
  const [name, ...rest] = argv;
  switch (name) {
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      return { name: 'help' };
    case 'up': {
      const { values } = parse(
        'up',
        rest,
        {
          sites: { type: 'string' },
          desktops: { type: 'string' },
          'cloud-instances': { type: 'string' },
          driver: { type: 'string' },
          mutant: { type: 'string' },
          stack: { type: 'string' },
        },
        0,
      );
      const cloudInstances = count('--cloud-instances', values['cloud-instances'], 1);
      if (cloudInstances !== undefined && cloudInstances > MAX_CLOUD_INSTANCES)
        throw new UsageError(`up: --cloud-instances takes 1 to ${MAX_CLOUD_INSTANCES}, not ${cloudInstances}`);
      if (values.stack !== undefined) stackName('up', values.stack);
      if (values.mutant !== undefined && !MUTANT_ID.test(values.mutant))
        throw new UsageError(`up: --mutant takes a mutant id like lockout-off, not ${JSON.stringify(values.mutant)}`);
      return {
        name: 'up',
        ...optionalDriver('up', values.driver),
        sites: count('--sites', values.sites, 1),
        desktops: count('--desktops', values.desktops, 1),
        ...(cloudInstances === undefined ? {} : { cloudInstances }),
        ...(values.mutant === undefined ? {} : { mutant: values.mutant }),
        ...(values.stack === undefined ? {} : { stack: values.stack }),
      };
    }
    case 'deploy': {
      const { values } = parse(
        'deploy',
        rest,
        { stack: { type: 'string' }, preview: { type: 'boolean' }, destroy: { type: 'boolean' } },
        0,
      );
      if (values.preview && values.destroy) throw new UsageError('deploy: --preview and --destroy do not go together');
      return {
        name: 'deploy',
        stack: stackName('deploy', values.stack ?? 'staging'),
        preview: values.preview ?? false,
        destroy: values.destroy ?? false,
      };
    }
    case 'status': {
      const { values } = parse('status', rest, { json: { type: 'boolean' } }, 0);
      return { name: 'status', json: values.json ?? false };
    }
    case 'logs': {
      const { values, positionals } = parse(
        'logs',
        rest,
        { follow: { type: 'boolean', short: 'f' }, lines: { type: 'string', short: 'n' } },
        1,
      );
      return { name: 'logs', service: positionals[0], follow: values.follow ?? false, lines: count('-n', values.lines, 0) ?? 50 };
    }
    case 'exec': {
      // everything after `--` belongs to the command inside the host, flags included
      const split = rest.indexOf('--');
      const before = split === -1 ? rest : rest.slice(0, split);
      const command = split === -1 ? [] : rest.slice(split + 1);
      const { positionals } = parse('exec', before, {}, 1);
      if (positionals.length === 0) throw new UsageError('exec: which host? e.g. pnpm lab exec s1-d1 -- ip addr');
      if (command.length === 0) throw new UsageError('exec: give the command after --, e.g. pnpm lab exec s1-d1 -- ip addr');
      return { name: 'exec', host: positionals[0]!, argv: command };
    }
    case 'down': {
      const { values } = parse('down', rest, { prefix: { type: 'string' } }, 0);
      if (values.prefix !== undefined && !PREFIX.test(values.prefix)) {
        throw new UsageError(
          `down: --prefix is a lab prefix like mcl (a letter, then up to 7 letters or digits), not ${JSON.stringify(values.prefix)}`,
        );
      }
      return { name: 'down', prefix: values.prefix };
    }
    case 'doctor': {
      const { values } = parse(
        'doctor',
        rest,
        { json: { type: 'boolean' }, install: { type: 'boolean' }, aws: { type: 'boolean' } },
        0,
      );
      return {
        name: 'doctor',
        json: values.json ?? false,
        install: values.install ?? false,
        ...(values.aws ? { aws: true as const } : {}),
      };
    }
    case 'images': {
      const { values } = parse('images', rest, { force: { type: 'boolean' } }, 0);
      return { name: 'images', force: values.force ?? false };
    }
    case 'report': {
      const { values } = parse('report', rest, { drivers: { type: 'boolean' } }, 0);
      return values.drivers ? { name: 'report', drivers: true } : { name: 'report' };
    }
    case 'run': {
      const { values, positionals } = parse(
        'run',
        rest,
        {
          tag: { type: 'string', multiple: true },
          seed: { type: 'string' },
          shard: { type: 'string' },
          checkers: { type: 'string' },
          'no-checkers': { type: 'boolean' },
          'checkers-only': { type: 'boolean' },
          driver: { type: 'string' },
          stack: { type: 'string' },
        },
        Number.POSITIVE_INFINITY,
      );
      if (values.stack !== undefined) stackName('run', values.stack);
      for (const id of positionals) {
        if (!/^S\d{2}(-[a-z0-9-]+)?$/.test(id))
          throw new UsageError(`run: a scenario id looks like S01 or S01-desktop-wss-dropped, not ${JSON.stringify(id)}`);
      }
      const seed = count('--seed', values.seed, 1);
      const shard = values.shard === undefined ? undefined : parseShard(values.shard);
      const checkers = parseCheckers(values.checkers, values['no-checkers'] ?? false, values['checkers-only'] ?? false);
      if (values['checkers-only'] && (positionals.length > 0 || values.tag))
        throw new UsageError('run: --checkers-only runs no scenario; leave out the scenario ids and --tag');
      return {
        name: 'run',
        ids: positionals,
        tags: values.tag ?? [],
        ...(seed === undefined ? {} : { seed }),
        ...(shard === undefined ? {} : { shard }),
        ...(checkers === undefined ? {} : { checkers }),
        ...(values['checkers-only'] ? { scenarios: false as const } : {}),
        ...optionalDriver('run', values.driver),
        ...(values.stack === undefined ? {} : { stack: values.stack }),
      };
    }
    case 'mutate': {
      const { values, positionals } = parse(
        'mutate',
        rest,
        {
          tag: { type: 'string', multiple: true },
          list: { type: 'boolean' },
          seed: { type: 'string' },
          driver: { type: 'string' },
        },
        Number.POSITIVE_INFINITY,
      );
      for (const id of positionals) {
        if (!MUTANT_ID.test(id)) throw new UsageError(`mutate: a mutant id looks like lockout-off, not ${JSON.stringify(id)}`);
      }
      const seed = count('--seed', values.seed, 1);
      return {
        name: 'mutate',
        ids: positionals,
        tags: values.tag ?? [],
        list: values.list ?? false,
        ...(seed === undefined ? {} : { seed }),
        ...optionalDriver('mutate', values.driver),
      };
    }
    case 'load': {
      const { values, positionals } = parse(
        'load',
        rest,
        {
          clients: { type: 'string' },
          duration: { type: 'string' },
          fault: { type: 'string' },
          'tls-resumption': { type: 'boolean' },
          threshold: { type: 'string', multiple: true },
        },
        1,
      );
      const profile = positionals[0];
      if (profile === undefined || !isProfileName(profile))
        throw new UsageError(
          `load: name a profile (${PROFILE_NAMES.join(', ')})${profile === undefined ? '' : `, not ${JSON.stringify(profile)}`}`,
        );
      const thresholds = values.threshold ?? [];
      for (const t of thresholds) {
        try {
          parseThreshold(t);
        } catch (err) {
          throw new UsageError(`load: ${(err as Error).message}`);
        }
      }
      const clients = count('--clients', values.clients, 1);
      const durationS = count('--duration', values.duration, 1);
      const fault = values.fault;
      if (fault !== undefined && !isStormFault(fault))
        throw new UsageError(`load: --fault is one of ${STORM_FAULTS.join(', ')}, not ${JSON.stringify(fault)}`);
      return {
        name: 'load',
        profile,
        thresholds,
        ...(clients === undefined ? {} : { clients }),
        ...(durationS === undefined ? {} : { durationS }),
        ...(fault === undefined ? {} : { fault }),
        ...(values['tls-resumption'] ? { tlsResumption: true } : {}),
      };
    }
    default:
      throw new UsageError(`unknown command ${JSON.stringify(name)}`);
  }
}
