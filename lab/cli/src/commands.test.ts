import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { appendFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cleanChildEnv } from '@multiclaw-lab/kit';
import { afterAll, describe, expect, it } from 'vitest';
import type { AttachedStack, AwsAccess } from './aws-access.ts';
import type { CliContext } from './context.ts';
import type { DockerAccess } from './docker-access.ts';
import { runCli } from './main.ts';
import { labPaths, readState } from './state.ts';
import { fakeLabModule } from './testing/fake-lab.ts';
import { ACTIONLINT, TOOLS, TOXIPROXY_SERVER } from './tools/catalog.ts';
import type { CommandRunner } from './tools/install.ts';
import { fakeProbe } from './tools/testing-probe.ts';

const FAKE_LABD = fileURLToPath(new URL('./testing/fake-labd.ts', import.meta.url));
// the shell's choices must not make these tests' choices (each test that wants one sets it)
delete process.env.LAB_DRIVER;
delete process.env.LAB_PREFIX;
const base = await mkdtemp(join(tmpdir(), 'mclab-cli-'));
const started: ChildProcess[] = [];
afterAll(async () => {
  for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await rm(base, { recursive: true, force: true });
});

const completeMachine = () =>
  fakeProbe({
    commands: [...TOOLS.flatMap((t) => (t.check.kind === 'commands' ? t.check.names : [])), 'docker'],
    files: [
      '/usr/lib/postgresql/15/bin/initdb',
      '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1',
      TOXIPROXY_SERVER,
      ACTIONLINT,
      '/usr/lib/python3.11/venv/__init__.py',
      '/usr/lib/x86_64-linux-gnu/engines-3/gost.so',
    ],
    gos: [{ path: '/usr/local/go/bin/go', version: '1.26.8' }],
  });

/** A Docker daemon that answers (or not) with these lab containers; what `down` removed is recorded. */
function fakeDocker(options: { answers?: boolean; containers?: string[] } = {}) {
  const answers = options.answers ?? true;
  let containers = options.containers ?? [];
  const teardowns: Array<{ prefix: string; stateDir?: string }> = [];
  const access: DockerAccess = {
    daemonVersion: async () => (answers ? '20.10.24' : undefined),
    daemonFacts: async () =>
      answers
        ? { version: '20.10.24', addressPools: ['198.18.192.0/18'], bridgeSubnets: ['198.18.128.0/24'] }
        : { error: 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock', addressPools: [], bridgeSubnets: [] },
    imageProblems: async () => [],
    subordinateRanges: async () => ({ uids: ['tester:100000:65536'], gids: ['tester:100000:65536'] }),
    labContainers: async (prefix) => containers.filter((c) => c.startsWith(`${prefix}-`)),
    teardown: async (prefix, o) => {
      if (!answers) throw new Error('Cannot connect to the Docker daemon');
      teardowns.push({ prefix, stateDir: o.stateDir });
      const mine = containers.filter((c) => c.startsWith(`${prefix}-`));
      containers = containers.filter((c) => !mine.includes(c));
      return {
        prefix,
        containers: mine,
        networks: [],
        stateFolders: [],
        nothingFound: mine.length === 0,
        message: mine.length
          ? `removed lab "${prefix}": ${mine.length} containers, 0 networks, 0 state folders`
          : `nothing of lab "${prefix}" was there; nothing to remove`,
      };
    },
  };
  return { access, teardowns };
}

/**
 * AWS and Pulumi as the CLI sees them, scripted: no test of the command line reaches AWS (the
 * real calls are tested against moto in lab/aws). Records what was asked.
 */
function fakeAws(options: { pulumi?: boolean; credentials?: boolean; attach?: 'ok' | 'not-ready' } = {}) {
  const calls: string[] = [];
  const access: AwsAccess = {
    region: () => 'eu-west-1',
    pulumi: async () => (options.pulumi === false ? undefined : { path: '/usr/local/bin/pulumi', version: 'v3.190.0' }),
    callerIdentity: async () => {
      calls.push('sts');
      if (options.credentials === false) throw new Error('Could not load credentials from any providers');
      return { account: '123456789012', arn: 'arn:aws:iam::123456789012:user/ann' };
    },
    deploy: async (o) => {
      calls.push(`deploy ${o.stackName}${o.preview ? ' preview' : ''}`);
      o.onProgress('+ aws:ec2:Vpc cloud create');
      if (o.preview) return { kind: 'preview', summary: '42 create' };
      return { kind: 'up', summary: '42 create', outputs: { endpoints: { api: 'https://stg-alb.example' } } as never };
    },
    destroy: async (o) => {
      calls.push(`destroy ${o.stackName}`);
      return '42 delete';
    },
    attach: async (o) => {
      calls.push(`attach ${o.stackName}`);
      o.onProgress('asking 2 instances to answer an SSM command');
      if (options.attach === 'not-ready') throw new Error(`stack ${o.stackName} is not ready:\n  relay (i-r): answered code 1`);
      return {
        stack: o.stackName,
        region: 'eu-west-1',
        hosts: [
          { id: 'cloud', instanceId: 'i-0c1', role: 'cloud' },
          { id: 's1-d1', instanceId: 'i-0d1', role: 'desktop', site: 's1' },
        ],
        endpoints: [{ name: 'api.multiclaw.test', url: 'https://stg-alb.example' }],
        // only what the commands after attaching read of the outputs (exec and logs hand them on)
        outputs: { stack: o.stackName, region: 'eu-west-1' } as AttachedStack['outputs'],
      };
    },
    exec: async (o) => {
      calls.push(`exec ${o.outputs.stack} ${o.host} ${o.argv.join(' ')}`);
      return { code: 3, stdout: 'out\n', stderr: 'err\n' };
    },
    logs: async (o) => {
      calls.push(`logs ${o.outputs.stack} ${o.host} ${o.lines}`);
      return [{ service: 'multiclaw-gateway', timestamp: 1, message: '{"service":"gateway","event":"ready"}' }];
    },
    // the scenarios on a real attached Lab are tested on a docker staging (lab/cli/src/staging-lab.docker.test.ts)
    runScenarios: async (o) => {
      calls.push(`run-scenarios ${o.outputs.stack} ${o.prefix}`);
      o.onProgress('following cloud on cloud');
      if (options.attach === 'not-ready') throw new Error(`stack ${o.outputs.stack} is not ready: cloud (i-0c1) answered code 1`);
      return {
        runDir: join(o.stateDir, 'report'),
        passed: 1,
        failed: 0,
        skipped: 2,
        canaryHits: 0,
        checkersFailed: 0,
        seed: 7,
        claims: { verified: 2, failed: 0, untested: 3, untestable: 0, contradiction: 0 },
        failures: [],
      } as never;
    },
  };
  return { access, calls };
}

/** Runs `body` with LAB_DRIVER (and LAB_PREFIX) set as a shell would, then puts them back. */
async function withEnv<T>(env: { LAB_DRIVER?: string; LAB_PREFIX?: string }, body: () => Promise<T>): Promise<T> {
  const before = { LAB_DRIVER: process.env.LAB_DRIVER, LAB_PREFIX: process.env.LAB_PREFIX };
  Object.assign(process.env, env);
  try {
    return await body();
  } finally {
    for (const [key, value] of Object.entries(before)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
}

/** A CLI context on a temp state folder whose labd is a real process running a fake Lab. */
function context(
  name: string,
  options: {
    mode?: string;
    isRoot?: boolean;
    namespaces?: string[];
    probe?: CliContext['probe'];
    runInstall?: CommandRunner;
    docker?: ReturnType<typeof fakeDocker>;
    aws?: AwsAccess;
  } = {},
) {
  const out: string[] = [];
  const err: string[] = [];
  const teardownModule = fakeLabModule();
  const docker = options.docker ?? fakeDocker();
  const ctx: CliContext = {
    paths: labPaths(join(base, name)),
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
    isRoot: options.isRoot ?? true,
    probe: options.probe ?? completeMachine(),
    ...(options.runInstall ? { runInstall: options.runInstall } : {}),
    loadLab: async () => teardownModule,
    spawnLabd: (args, fd) => {
      const child = spawn(process.execPath, [FAKE_LABD, ...args], {
        detached: true,
        stdio: ['ignore', fd, fd],
        env: cleanChildEnv({ FAKE_LAB: options.mode ?? 'ok' }),
      });
      started.push(child);
      return child;
    },
    listNamespaces: async () => options.namespaces ?? [],
    docker: docker.access,
    upTimeoutMs: 60_000,
    aws: options.aws ?? fakeAws().access,
  };
  const run = async (...argv: string[]) => {
    out.length = 0;
    err.length = 0;
    const code = await runCli(argv, ctx);
    return { code, out: out.join(''), err: err.join('') };
  };
  return {
    ctx,
    run,
    teardowns: teardownModule.calls.teardowns,
    dockerTeardowns: docker.teardowns,
    labd: () => started.at(-1)!,
  };
}

describe('lab up / status / exec / logs / down (fake Lab behind a real labd process)', () => {
  it('brings a lab up once, says so the second time, and takes it down once', async () => {
    const lab = context('cycle');
    const up = await lab.run('up', '--sites', '1');
    expect(up.err).toContain('[lab] driver: netns (root on Linux)\n');
    expect(up.err).toContain('[lab] network: namespaces and bridges');
    expect(up.out).toBe('lab mcl is up: 2 hosts, 2 services, all healthy. See: pnpm lab status\n');
    expect(up.code).toBe(0);
    const state = await readState(lab.ctx.paths);
    expect(state).toMatchObject({ prefix: 'mcl', driver: 'netns', labdPid: lab.labd().pid, options: { sites: 1 } });

    const again = await lab.run('up');
    expect(again.code).toBe(0);
    expect(again.out).toContain(
      `a lab is already up (prefix mcl, since ${state!.startedAt}, labd pid ${state!.labdPid}); nothing to do`,
    );

    const status = await lab.run('status', '--json');
    expect(status.code).toBe(0);
    expect(status.err).toBe('');
    expect(JSON.parse(status.out).hosts.map((h: { addresses: string[] }) => h.addresses)).toEqual([
      ['198.18.0.10', '198.18.1.10'],
      ['198.19.1.11'],
    ]);
    const table = await lab.run('status');
    expect(table.out).toMatch(/^s1-d1-gateway\s+s1-d1\s+gateway\s+102\s+healthy\s+connected$/m);

    const exec = await lab.run('exec', 's1-d1', '--', 'false');
    expect(exec).toMatchObject({ code: 1, out: 'ran false on s1-d1\n' });

    const logs = await lab.run('logs');
    expect(logs.out).toContain('cloud | {"service":"cloud","event":"ready"}\n');
    expect(logs.out).toContain('s1-d1-gateway | {"service":"s1-d1-gateway","event":"ready"}\n');
    const missing = await lab.run('logs', 'ghost');
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('no service "ghost"');

    const exited = once(lab.labd(), 'exit');
    const down = await lab.run('down');
    expect(down).toMatchObject({ code: 0, out: 'lab mcl is down\n' });
    await exited;
    expect(existsSync(lab.ctx.paths.stateFile)).toBe(false);
    expect(existsSync(lab.ctx.paths.socket)).toBe(false);
    expect(lab.teardowns).toEqual([]); // labd took it down itself

    const twice = await lab.run('down');
    expect(twice).toMatchObject({ code: 0, out: 'no lab is up (nothing to take down)\n' });
  });

  it('after labd was killed with SIGKILL: status says broken, down tears down by prefix, up works again', async () => {
    const lab = context('killed');
    expect((await lab.run('up')).code).toBe(0);
    const labd = lab.labd();
    const exited = once(labd, 'exit');
    labd.kill('SIGKILL');
    await exited;

    const status = await lab.run('status');
    expect(status.code).toBe(1);
    expect(status.err).toContain(`the netns lab is broken: its supervisor labd (pid ${labd.pid}) is not running`);
    expect(status.err).toContain('sudo pnpm lab down');

    const down = await lab.run('down');
    expect(down.code).toBe(0);
    expect(down.err).toContain(`labd (pid ${labd.pid}) is not running; cleaning up lab mcl by its prefix`);
    expect(down.out).toBe('lab mcl is down (removed 1 leftovers)\n');
    expect(lab.teardowns).toEqual([{ prefix: 'mcl', stateDir: lab.ctx.paths.labStateDir }]);
    expect(lab.dockerTeardowns).toEqual([]);
    expect(existsSync(lab.ctx.paths.stateFile)).toBe(false);

    // and a kill -9 followed straight by `up`: up cleans the remains first
    expect((await lab.run('up')).code).toBe(0);
    const second = lab.labd();
    const secondExit = once(second, 'exit');
    second.kill('SIGKILL');
    await secondExit;
    const up = await lab.run('up');
    expect(up.err).toContain('lost its supervisor labd');
    expect(up.code).toBe(0);
    expect(lab.teardowns).toHaveLength(2);
    expect((await lab.run('down')).code).toBe(0);
  });

  it('exits non-zero with the reason when the lab fails to come up, and leaves it for down', async () => {
    const lab = context('failing', { mode: 'fail' });
    const up = await lab.run('up');
    expect(up.code).toBe(1);
    expect(up.err).toContain('lab mcl did not come up: nft: could not process rule: No such file or directory');
    expect(up.err).toContain('clear the state and any leftovers with: pnpm lab down');
    const status = await lab.run('status');
    expect(status.err).toContain('(it said: nft: could not process rule');
    expect((await lab.run('down')).code).toBe(0);
    expect(lab.teardowns).toEqual([{ prefix: 'mcl', stateDir: lab.ctx.paths.labStateDir }]);
  });

  it('exits non-zero naming the unhealthy services, with the lab left up for a look', async () => {
    const lab = context('sick', { mode: 'unhealthy' });
    const up = await lab.run('up');
    expect(up.code).toBe(1);
    expect(up.err).toContain('lab mcl is up but not healthy:\n  s1-d1-gateway: not connected to the cloud');
    expect((await lab.run('status')).code).toBe(1);
    expect((await lab.run('down')).code).toBe(0);
  });

  it('as root installs what is missing with progress; with no registry it stops with the exact commands, starting nothing', async () => {
    const machine = completeMachine();
    machine.commands.delete('socat');
    machine.commands.delete('turnserver');
    const ran: string[] = [];
    const lab = context('offline', {
      probe: machine,
      runInstall: async (command, args) => {
        ran.push(`${command} ${args.join(' ')}`);
        throw new Error(
          `${command} failed:\nE: Failed to fetch http://deb.debian.org/debian/dists/bookworm/InRelease  Temporary failure resolving 'deb.debian.org'`,
        );
      },
    });
    const up = await lab.run('up');
    expect(up.code).toBe(1);
    expect(up.err).toContain('[lab] tools: missing: coturn, socat; installing');
    expect(up.err).toContain('[lab] apt: updating package lists');
    expect(up.err).toContain('Temporary failure resolving');
    expect(up.err).toContain('apt-get update && apt-get install -y --no-install-recommends coturn socat\n');
    expect(up.err).toContain('  pnpm lab up\n');
    expect(ran).toEqual(['apt-get -o DPkg::Lock::Timeout=300 update -qq']);
    expect(existsSync(lab.ctx.paths.stateFile)).toBe(false); // no lab was started

    // with a registry: installed, then the lab comes up
    const online = context('online', {
      probe: machine,
      runInstall: async (command, args) => {
        if (command === 'apt-get' && args.includes('install')) for (const c of ['socat', 'turnserver']) machine.commands.add(c);
        return '';
      },
    });
    const installed = await online.run('up');
    expect(installed.err).toContain('[lab] apt: installing coturn socat');
    expect(installed.code).toBe(0);
    expect((await online.run('down')).code).toBe(0);
  });

  it('refuses a netns lab when not root, creating nothing', async () => {
    const lab = context('user', { isRoot: false });
    const up = await lab.run('up', '--driver', 'netns');
    expect(up).toMatchObject({ code: 1, err: '[lab] driver: netns (--driver)\nthe netns driver needs root: sudo pnpm lab up\n' });
    expect(existsSync(lab.ctx.paths.root)).toBe(false);
    const fromEnv = await withEnv({ LAB_DRIVER: 'netns' }, () => lab.run('up'));
    expect(fromEnv).toMatchObject({
      code: 1,
      err: '[lab] driver: netns (LAB_DRIVER)\nthe netns driver needs root: sudo pnpm lab up\n',
    });
    expect(existsSync(lab.ctx.paths.root)).toBe(false);
  });

  it('refuses drivers that do not exist, --stack without aws, and unknown flags with the usage', async () => {
    const lab = context('drivers');
    const stack = await lab.run('run', 'S01', '--stack', 'stg');
    expect(stack).toMatchObject({ code: 1, err: 'lab run: --stack names an AWS stack to run on; it goes with --driver aws\n' });
    expect(existsSync(lab.ctx.paths.root)).toBe(false);
    const bogus = await withEnv({ LAB_DRIVER: 'podman' }, () => lab.run('up'));
    expect(bogus).toMatchObject({ code: 1, err: 'lab up: LAB_DRIVER is netns, docker or aws, not "podman"\n' });
    const bad = await lab.run('status', '--verbose');
    expect(bad.code).toBe(2);
    expect(bad.err).toContain("status: Unknown option '--verbose'");
    expect(bad.err).toContain('usage: pnpm lab <command>');
  });

  it('down with nothing recorded points at namespaces a lost lab left behind', async () => {
    const lab = context('orphans', { namespaces: ['mcl-cloud', 'other-ns', 'mcl-s1-d1'] });
    const down = await lab.run('down');
    expect(down.code).toBe(0);
    expect(down.err).toContain('namespaces of an unrecorded lab exist (mcl-cloud, mcl-s1-d1)');
    expect(lab.teardowns).toEqual([]);
    expect((await lab.run('down', '--prefix', 'mcl')).out).toBe(
      'netns: removed 1 things with prefix mcl\ndocker: nothing of lab "mcl" was there; nothing to remove\n',
    );
    expect(lab.teardowns).toEqual([{ prefix: 'mcl', stateDir: lab.ctx.paths.labStateDir }]);
    expect(lab.dockerTeardowns).toEqual([{ prefix: 'mcl', stateDir: lab.ctx.paths.labStateDir }]);
  });
});

describe('the docker driver from the command line (fake Lab and daemon, no root)', () => {
  it('a user gets a docker lab by default: up, status and down work without root, and the state names the driver', async () => {
    const lab = context('docker-user', { isRoot: false });
    const up = await lab.run('up');
    expect(up.err).toContain('[lab] driver: docker (not root; the netns driver needs root)\n');
    expect(up.err).toContain('bringing docker lab mcl up');
    expect(up).toMatchObject({ code: 0, out: 'lab mcl is up: 2 hosts, 2 services, all healthy. See: pnpm lab status\n' });
    expect(await readState(lab.ctx.paths)).toMatchObject({ prefix: 'mcl', driver: 'docker' });

    const status = await lab.run('status');
    expect(status.out).toMatch(/^lab mcl \(docker\), up since /);
    expect(JSON.parse((await lab.run('status', '--json')).out).driver).toBe('docker');

    const exited = once(lab.labd(), 'exit');
    expect(await lab.run('down')).toMatchObject({ code: 0, out: 'lab mcl is down\n' });
    await exited;
    expect(lab.dockerTeardowns).toEqual([]); // labd took it down itself
    expect(existsSync(lab.ctx.paths.stateFile)).toBe(false);
  });

  it('--driver docker and LAB_DRIVER=docker choose it as root too, and say why', async () => {
    const flag = context('docker-flag');
    const up = await flag.run('up', '--driver', 'docker');
    expect(up.err).toContain('[lab] driver: docker (--driver)\n');
    expect(up.code).toBe(0);
    expect((await flag.run('status')).out).toMatch(/^lab mcl \(docker\)/);
    expect((await flag.run('down')).code).toBe(0);

    const env = context('docker-env');
    const fromEnv = await withEnv({ LAB_DRIVER: 'docker' }, () => env.run('up'));
    expect(fromEnv.err).toContain('[lab] driver: docker (LAB_DRIVER)\n');
    expect(fromEnv.code).toBe(0);
    expect(await readState(env.ctx.paths)).toMatchObject({ driver: 'docker' });
    expect((await env.run('down')).code).toBe(0);
  });

  it('after labd was killed: status points at a down that needs no root, and down removes the lab by its labels', async () => {
    const docker = fakeDocker({ containers: ['mcl-cloud', 'mcl-s1-d1', 'other-cloud'] });
    const lab = context('docker-killed', { isRoot: false, docker });
    // an earlier lab in this folder failed; its words are in the same log
    await mkdir(lab.ctx.paths.logs, { recursive: true });
    await appendFile(lab.ctx.paths.labdLog, `${JSON.stringify({ event: 'up.failed', error: 'an earlier lab failed' })}\n`);
    expect((await lab.run('up')).code).toBe(0);
    const labd = lab.labd();
    const exited = once(labd, 'exit');
    labd.kill('SIGKILL');
    await exited;

    const status = await lab.run('status');
    expect(status.err).toContain('the docker lab is broken');
    expect(status.err).not.toContain('an earlier lab failed');
    expect(status.err).toContain('clean it up with: pnpm lab down\n');

    const down = await lab.run('down');
    expect(down.err).toContain(`labd (pid ${labd.pid}) is not running; cleaning up lab mcl by its labels`);
    expect(down).toMatchObject({
      code: 0,
      out: 'lab mcl is down (removed lab "mcl": 2 containers, 0 networks, 0 state folders)\n',
    });
    expect(lab.dockerTeardowns).toEqual([{ prefix: 'mcl', stateDir: lab.ctx.paths.labStateDir }]);
    expect(lab.teardowns).toEqual([]); // no netns teardown, which would need root
    expect(await docker.access.labContainers('other')).toEqual(['other-cloud']); // another prefix is not touched
    expect(existsSync(lab.ctx.paths.stateFile)).toBe(false);
  });

  it('with no state: down --prefix reaps both ways, and a user is told namespaces need root', async () => {
    const docker = fakeDocker({ containers: ['hb-cloud', 'hb-db', 'mcl-cloud'] });
    const user = context('docker-reap', { isRoot: false, namespaces: ['hb-s1-rtr', 'mcl-cloud'], docker });
    const reaped = await user.run('down', '--prefix', 'hb');
    expect(reaped.code).toBe(1);
    expect(reaped.out).toBe('docker: removed lab "hb": 2 containers, 0 networks, 0 state folders\n');
    expect(reaped.err).toContain(
      'netns: namespaces with prefix hb exist (hb-s1-rtr); removing them needs root: sudo pnpm lab down --prefix hb\n',
    );
    expect(user.teardowns).toEqual([]);
    expect(await docker.access.labContainers('mcl')).toEqual(['mcl-cloud']);

    // LAB_PREFIX names the lab as it does for up; no daemon: said, nothing looked for
    const root = context('docker-reap-root', { docker: fakeDocker({ answers: false }) });
    const noDaemon = await withEnv({ LAB_PREFIX: 'hb' }, () => root.run('down'));
    expect(noDaemon).toMatchObject({
      code: 0,
      out: 'netns: removed 1 things with prefix hb\ndocker: no Docker daemon answers; no container looked for\n',
    });
    expect(root.teardowns).toEqual([{ prefix: 'hb', stateDir: root.ctx.paths.labStateDir }]);
  });

  it('down with nothing recorded and no prefix named points at containers a lost lab left behind', async () => {
    const lab = context('docker-orphans', { isRoot: false, docker: fakeDocker({ containers: ['mcl-cloud', 'hb-cloud'] }) });
    const down = await lab.run('down');
    expect(down).toMatchObject({ code: 0, out: 'no lab is up (nothing to take down)\n' });
    expect(down.err).toBe(
      'but containers of an unrecorded lab exist (mcl-cloud); remove them with: pnpm lab down --prefix mcl\n',
    );
    expect(lab.dockerTeardowns).toEqual([]);
  });

  it('refuses a docker lab when no daemon answers, creating nothing, with how to start one', async () => {
    const lab = context('docker-none', { isRoot: false, docker: fakeDocker({ answers: false }) });
    const up = await lab.run('up');
    expect(up.code).toBe(1);
    expect(up.err).toContain(
      'the docker driver needs a Docker daemon, and none answers; start one by hand: sudo bash scripts/dockerd.sh',
    );
    expect(existsSync(lab.ctx.paths.root)).toBe(false);
  });

  it('lab run --driver over a running lab of another driver refuses, naming both', async () => {
    const lab = context('docker-run');
    expect((await lab.run('up')).code).toBe(0);
    const run = await lab.run('run', 'S01', '--driver', 'docker');
    expect(run).toMatchObject({
      code: 1,
      err: 'a netns lab is up (prefix mcl) and --driver docker asks for another; leave out --driver to run on it, or take it down first: sudo pnpm lab down\n',
    });
    expect((await lab.run('down')).code).toBe(0);
  });

  it('lab doctor: the docker section, failing only where docker is the driver this machine picks', async () => {
    const netnsUser = context('doctor-root', { docker: fakeDocker({ answers: false }) });
    const asRoot = await netnsUser.run('doctor');
    expect(asRoot.code).toBe(0);
    expect(asRoot.out).toContain('everything the lab needs is installed');
    expect(asRoot.out).toContain('docker driver (pnpm lab up --driver docker; not needed for the netns driver)');
    expect(asRoot.out).toMatch(/^daemon\s+MISSING\s+Cannot connect to the Docker daemon/m);
    expect(asRoot.out).toContain('start one by hand: sudo bash scripts/dockerd.sh');

    const dockerUser = context('doctor-user', { isRoot: false, docker: fakeDocker({ answers: false }) });
    const asUser = await dockerUser.run('doctor', '--json');
    expect(asUser.code).toBe(1);
    expect(JSON.parse(asUser.out)).toMatchObject({ ok: false, docker: { ok: false, needed: true } });

    const ready = context('doctor-ready', { isRoot: false });
    const fine = await ready.run('doctor');
    expect(fine.out).toContain('default address pools 198.18.192.0/18; default bridge 198.18.128.0/24: inside 198.18.0.0/15');
    expect(fine.code, fine.out).toBe(0);
  });
});

describe('AWS from the command line (scripted AWS and Pulumi, nothing reaches AWS)', () => {
  it('run --driver aws with nothing attached attaches to the stack for the run, and says why when it cannot', async () => {
    const aws = fakeAws();
    const lab = context('aws-run', { aws: aws.access });
    const run = await lab.run('run', 'S29', '--driver', 'aws', '--stack', 'stg');
    expect(run.err).toContain('[lab] run: attaching to AWS stack stg for this run (nothing on AWS is changed)\n');
    expect(run.out).toContain('driver: aws\n');
    expect(run.code).toBe(0);
    expect(aws.calls).toEqual(['attach stg', 'run-scenarios stg mcr']);
    expect(await readState(lab.ctx.paths)).toBeUndefined();

    const broken = fakeAws({ attach: 'not-ready' });
    const refused = await context('aws-run-2', { aws: broken.access }).run('run', '--driver', 'aws');
    expect(refused.code).toBe(1);
    expect(refused.err).toContain('lab run: cannot attach to stack staging: stack staging is not ready');
    expect(broken.calls).toEqual(['attach staging']);
  });

  it('up --driver aws attaches to the stack: status lists hosts and instances, down detaches and never destroys', async () => {
    const aws = fakeAws();
    const lab = context('aws-attach', { aws: aws.access });
    const up = await lab.run('up', '--driver', 'aws', '--stack', 'stg');
    expect(up.err).toContain('[lab] driver: aws (--driver)\n');
    expect(up.err).toContain('[lab] up: asking 2 instances to answer an SSM command\n');
    expect(up.out).toContain(
      'lab mcl is attached to stack stg in eu-west-1: 2 instances answer SSM, api.multiclaw.test answer /healthz',
    );
    expect(up.code).toBe(0);
    expect(await readState(lab.ctx.paths)).toMatchObject({ driver: 'aws', labdPid: null, aws: { stack: 'stg' } });

    const again = await lab.run('up', '--driver', 'aws', '--stack', 'stg');
    expect(again).toMatchObject({
      code: 0,
      out: 'lab mcl is already attached to stack stg; nothing to do. See: pnpm lab status\n',
    });
    const status = await lab.run('status');
    expect(status.code).toBe(0);
    expect(status.out).toMatch(/^s1-d1\s+desktop\s+s1\s+i-0d1$/m);
    expect(status.out).toContain('attached to stack stg in eu-west-1');
    const exec = await lab.run('exec', 's1-d1', '--', 'ip', 'addr');
    expect(exec).toMatchObject({ code: 3, out: 'out\n', err: 'err\n' });
    const logs = await lab.run('logs', 's1-d1', '-n', '5');
    expect(logs).toMatchObject({ code: 0, out: '{"service":"gateway","event":"ready"}\n' });
    const follow = await lab.run('logs', 's1-d1', '-f');
    expect(follow.code).toBe(1);
    expect(follow.err).toContain("reads one host's logs from CloudWatch Logs: pnpm lab logs <host> [-n N]");
    const run = await lab.run('run', 'S29');
    expect(run.err).toContain("[lab] run: on AWS stack stg: the lab's clients start on its instances");
    expect(run.err).toContain('[lab] run: following cloud on cloud\n');
    expect(run.out).toContain('1 passed, 0 failed, 2 skipped (seed 7)\ndriver: aws\n');
    expect(run.code).toBe(0);
    const otherDriver = await lab.run('run', 'S29', '--driver', 'docker');
    expect(otherDriver.code).toBe(1);
    expect(otherDriver.err).toContain('lab mcl is attached to an AWS stack and --driver docker asks for another');
    const netns = await lab.run('up', '--driver', 'netns');
    expect(netns.code).toBe(1);
    expect(netns.out).toContain('attached to AWS stack stg; detach first (pnpm lab down)');

    const down = await lab.run('down');
    expect(down.code).toBe(0);
    expect(down.out).toBe(
      'lab mcl: detached from stack stg; the stack keeps running (remove it with: pnpm lab deploy --destroy --stack stg)\n',
    );
    expect(aws.calls).toEqual(['attach stg', 'exec stg s1-d1 ip addr', 'logs stg s1-d1 5', 'run-scenarios stg mcl']); // no destroy
    expect(existsSync(lab.ctx.paths.stateFile)).toBe(false);
  });

  it('a stack that is not ready is refused with what did not answer, and nothing is recorded', async () => {
    const lab = context('aws-not-ready', { aws: fakeAws({ attach: 'not-ready' }).access });
    const up = await withEnv({ LAB_DRIVER: 'aws' }, () => lab.run('up'));
    expect(up.code).toBe(1);
    expect(up.err).toContain('[lab] driver: aws (LAB_DRIVER)');
    expect(up.err).toContain('cannot attach to stack staging: stack staging is not ready:\n  relay (i-r): answered code 1');
    expect(existsSync(lab.ctx.paths.stateFile)).toBe(false);
    const stray = await lab.run('up', '--driver', 'docker', '--stack', 'x');
    expect(stray).toMatchObject({
      code: 1,
      err: expect.stringContaining('--stack names an AWS stack to attach to; it goes with --driver aws'),
    });
  });

  it('deploy: checks pulumi and credentials first, then previews, deploys or destroys with progress', async () => {
    const aws = fakeAws();
    const lab = context('aws-deploy', { aws: aws.access });
    const preview = await lab.run('deploy', '--preview');
    expect(preview).toMatchObject({ code: 0, out: 'preview of stack staging: 42 create; nothing was changed\n' });
    expect(preview.err).toContain('[lab] deploy: pulumi: v3.190.0 (/usr/local/bin/pulumi)\n');
    expect(preview.err).toContain(
      '[lab] deploy: AWS account 123456789012 as arn:aws:iam::123456789012:user/ann, region eu-west-1\n',
    );
    expect(preview.err).toContain('[lab] deploy: + aws:ec2:Vpc cloud create\n');
    const up = await lab.run('deploy', '--stack', 'stg');
    expect(up.out).toContain(
      'stack stg is deployed (42 create): https://stg-alb.example\nattach the lab to it: pnpm lab up --driver aws --stack stg\n',
    );
    expect((await lab.run('up', '--driver', 'aws', '--stack', 'stg')).code).toBe(0);
    const destroy = await lab.run('deploy', '--destroy', '--stack', 'stg');
    expect(destroy).toMatchObject({ code: 0, out: 'stack stg destroyed (42 delete)\n' });
    // the lab attached to it is gone with it
    expect(existsSync(lab.ctx.paths.stateFile)).toBe(false);
    expect(aws.calls).toEqual(['sts', 'deploy staging preview', 'sts', 'deploy stg', 'attach stg', 'sts', 'destroy stg']);
  });

  it('deploy without the pulumi CLI or without credentials: says what to install or configure, changes nothing', async () => {
    const noPulumi = fakeAws({ pulumi: false });
    const a = await context('aws-no-pulumi', { aws: noPulumi.access }).run('deploy');
    expect(a.code).toBe(1);
    expect(a.err).toContain('lab deploy: the pulumi CLI (lab deploy drives it) is not installed (install the Pulumi CLI');
    expect(a.err).toContain('https://www.pulumi.com/docs/install/');
    expect(noPulumi.calls).toEqual([]);
    const noCreds = fakeAws({ credentials: false });
    const b = await context('aws-no-creds', { aws: noCreds.access }).run('deploy');
    expect(b.code).toBe(1);
    expect(b.err).toContain('lab deploy: no usable AWS credentials (Could not load credentials from any providers)');
    expect(noCreds.calls).toEqual(['sts']);
    const usage = await context('aws-usage').run('deploy', '--preview', '--destroy');
    expect(usage.code).toBe(2);
  });

  it('doctor: an aws section that fails nothing unless --aws asks, and then asks STS', async () => {
    const plain = fakeAws({ pulumi: false });
    const lab = context('aws-doctor', { aws: plain.access });
    const doctor = await lab.run('doctor');
    expect(doctor.code).toBe(0);
    expect(doctor.out).toMatch(/^pulumi CLI\s+MISSING\s+not installed: pnpm lab deploy drives it$/m);
    expect(doctor.out).toMatch(/^credentials\s+NOTE\s+not checked; pnpm lab doctor --aws asks STS whose they are$/m);
    expect(plain.calls).toEqual([]);
    const asked = await lab.run('doctor', '--aws', '--json');
    expect(asked.code).toBe(1);
    expect(JSON.parse(asked.out).aws).toMatchObject({ ok: false, asked: true });
    const none = fakeAws({ credentials: false });
    const unconfigured = await context('aws-doctor-2', { aws: none.access }).run('doctor', '--aws');
    expect(unconfigured.out).toMatch(/^credentials\s+MISSING\s+not configured: Could not load credentials from any providers$/m);
  });
});

describe('state under .lab/ at the repository root, whatever the shell', () => {
  it('a lab command run from a subfolder (or from /) finds the same state folder', async () => {
    const stateModule = fileURLToPath(new URL('./state.ts', import.meta.url));
    const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
    const whereFrom = async (cwd: string) => {
      const env = cleanChildEnv({});
      delete env.LAB_STATE_DIR;
      const child = spawn(
        process.execPath,
        ['--input-type=module', '-e', `import(${JSON.stringify(stateModule)}).then((m) => console.log(m.labPaths().root))`],
        { cwd, env, stdio: ['ignore', 'pipe', 'inherit'] },
      );
      let out = '';
      child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
      await once(child, 'exit');
      return out.trim();
    };
    const expected = join(repoRoot, '.lab');
    expect(await whereFrom(join(repoRoot, 'lab', 'network', 'src'))).toBe(expected);
    expect(await whereFrom('/')).toBe(expected);
    expect(await whereFrom(base)).toBe(expected);
  });
});
