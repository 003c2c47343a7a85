import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cleanChildEnv } from '@multiclaw-lab/kit';
import { afterAll, describe, expect, it } from 'vitest';
import type { CliContext } from './context.ts';
import { runCli } from './main.ts';
import { labPaths, readState } from './state.ts';
import { fakeLabModule } from './testing/fake-lab.ts';
import { ACTIONLINT, TOOLS, TOXIPROXY_SERVER } from './tools/catalog.ts';
import type { CommandRunner } from './tools/install.ts';
import { fakeProbe } from './tools/testing-probe.ts';

const FAKE_LABD = fileURLToPath(new URL('./testing/fake-labd.ts', import.meta.url));
const base = await mkdtemp(join(tmpdir(), 'mclab-cli-'));
const started: ChildProcess[] = [];
afterAll(async () => {
  for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await rm(base, { recursive: true, force: true });
});

const completeMachine = () =>
  fakeProbe({
    commands: TOOLS.flatMap((t) => (t.check.kind === 'commands' ? t.check.names : [])),
    files: [
      '/usr/lib/postgresql/15/bin/initdb',
      '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1',
      TOXIPROXY_SERVER,
      ACTIONLINT,
      '/usr/lib/python3.11/venv/__init__.py',
    ],
    gos: [{ path: '/usr/local/go/bin/go', version: '1.26.8' }],
  });

/** A CLI context on a temp state folder whose labd is a real process running a fake Lab. */
function context(
  name: string,
  options: {
    mode?: string;
    isRoot?: boolean;
    namespaces?: string[];
    probe?: CliContext['probe'];
    runInstall?: CommandRunner;
  } = {},
) {
  const out: string[] = [];
  const err: string[] = [];
  const teardownModule = fakeLabModule();
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
    upTimeoutMs: 60_000,
  };
  const run = async (...argv: string[]) => {
    out.length = 0;
    err.length = 0;
    const code = await runCli(argv, ctx);
    return { code, out: out.join(''), err: err.join('') };
  };
  return { ctx, run, teardowns: teardownModule.calls.teardowns, labd: () => started.at(-1)! };
}

describe('lab up / status / exec / logs / down (fake Lab behind a real labd process)', () => {
  it('brings a lab up once, says so the second time, and takes it down once', async () => {
    const lab = context('cycle');
    const up = await lab.run('up', '--sites', '1');
    expect(up.err).toContain('[lab] network: namespaces and bridges');
    expect(up.out).toBe('lab mcl is up: 2 hosts, 2 services, all healthy. See: pnpm lab status\n');
    expect(up.code).toBe(0);
    const state = await readState(lab.ctx.paths);
    expect(state).toMatchObject({ prefix: 'mcl', labdPid: lab.labd().pid, options: { sites: 1 } });

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
    expect(status.err).toContain(`the lab is broken: its supervisor labd (pid ${labd.pid}) is not running`);
    expect(status.err).toContain('sudo pnpm lab down');

    const down = await lab.run('down');
    expect(down.code).toBe(0);
    expect(down.err).toContain(`labd (pid ${labd.pid}) is not running; cleaning up lab mcl by its prefix`);
    expect(lab.teardowns).toEqual([{ prefix: 'mcl', stateDir: lab.ctx.paths.labStateDir }]);
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

  it('refuses up when not root, creating nothing', async () => {
    const lab = context('user', { isRoot: false });
    const up = await lab.run('up');
    expect(up).toMatchObject({ code: 1, err: 'the netns driver needs root: sudo pnpm lab up\n' });
    expect(existsSync(lab.ctx.paths.root)).toBe(false);
  });

  it('refuses drivers that do not exist yet, and unknown flags with the usage', async () => {
    const lab = context('drivers');
    expect(await lab.run('up', '--driver', 'docker')).toMatchObject({
      code: 1,
      err: 'the docker driver is not built yet; use --driver netns (Linux, root)\n',
    });
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
    expect((await lab.run('down', '--prefix', 'mcl')).out).toBe('removed 1 things with prefix mcl\n');
    expect(lab.teardowns).toEqual([{ prefix: 'mcl', stateDir: lab.ctx.paths.labStateDir }]);
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
