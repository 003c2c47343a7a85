import { describe, expect, it } from 'vitest';
import { parseCommand, UsageError } from './args.ts';

describe('lab command-line parsing', () => {
  it('reads every command of the contract', () => {
    // no --driver: the command decides (LAB_DRIVER, then the machine), so the parser leaves it out
    expect(parseCommand(['up'])).toEqual({ name: 'up', sites: undefined, desktops: undefined });
    expect(parseCommand(['up', '--sites', '2', '--desktops', '3', '--driver', 'netns'])).toEqual({
      name: 'up',
      driver: 'netns',
      sites: 2,
      desktops: 3,
    });
    expect(parseCommand(['up', '--cloud-instances', '3'])).toMatchObject({ name: 'up', cloudInstances: 3 });
    expect(parseCommand(['status', '--json'])).toEqual({ name: 'status', json: true });
    expect(parseCommand(['logs', 'cloud', '-f'])).toEqual({ name: 'logs', service: 'cloud', follow: true, lines: 50 });
    expect(parseCommand(['logs', '-n', '5'])).toEqual({ name: 'logs', service: undefined, follow: false, lines: 5 });
    expect(parseCommand(['down'])).toEqual({ name: 'down', prefix: undefined });
    expect(parseCommand(['down', '--prefix', 't3a9'])).toEqual({ name: 'down', prefix: 't3a9' });
    expect(parseCommand(['doctor', '--json', '--install'])).toEqual({ name: 'doctor', json: true, install: true });
    expect(parseCommand(['doctor', '--aws'])).toEqual({ name: 'doctor', json: false, install: false, aws: true });
    expect(parseCommand(['deploy'])).toEqual({ name: 'deploy', stack: 'staging', preview: false, destroy: false });
    expect(parseCommand(['deploy', '--stack', 'stg-2', '--preview'])).toEqual({
      name: 'deploy',
      stack: 'stg-2',
      preview: true,
      destroy: false,
    });
    expect(parseCommand(['deploy', '--destroy'])).toMatchObject({ destroy: true });
    expect(() => parseCommand(['deploy', '--preview', '--destroy'])).toThrow(
      new UsageError('deploy: --preview and --destroy do not go together'),
    );
    expect(() => parseCommand(['deploy', '--stack', 'a b'])).toThrow(/--stack is a stack name like staging/);
    for (const bad of ['Staging', 'stg.1', 'sg-test', '1stg', 'a'.repeat(21)])
      expect(() => parseCommand(['deploy', '--stack', bad]), bad).toThrow(/becomes part of AWS resource names/);
    expect(parseCommand(['up', '--driver', 'aws', '--stack', 'stg'])).toMatchObject({ name: 'up', driver: 'aws', stack: 'stg' });
    expect(parseCommand(['images'])).toEqual({ name: 'images', force: false });
    expect(parseCommand(['images', '--force'])).toEqual({ name: 'images', force: true });
    expect(parseCommand(['report'])).toEqual({ name: 'report' });
    expect(parseCommand(['report', '--drivers'])).toEqual({ name: 'report', drivers: true });
    expect(parseCommand([])).toEqual({ name: 'help' });
    expect(parseCommand(['--help'])).toEqual({ name: 'help' });
  });

  it('reads run: ids, tags, seed and the shard', () => {
    expect(parseCommand(['run'])).toEqual({ name: 'run', ids: [], tags: [] });
    expect(parseCommand(['run', 'S01', '--tag', 'tokens', '--tag', 'tls', '--seed', '7'])).toEqual({
      name: 'run',
      ids: ['S01'],
      tags: ['tokens', 'tls'],
      seed: 7,
    });
    expect(parseCommand(['run', '--shard', '2/3'])).toEqual({ name: 'run', ids: [], tags: [], shard: { index: 2, total: 3 } });
    expect(parseCommand(['run', '--tag', 'webrtc', '--shard=1/1'])).toMatchObject({ shard: { index: 1, total: 1 } });
  });

  it('reads run: which whole-run checkers follow the scenarios (all by default)', () => {
    expect(parseCommand(['run', 'S01'])).not.toHaveProperty('checkers');
    expect(parseCommand(['run', '--no-checkers'])).toMatchObject({ checkers: [] });
    expect(parseCommand(['run', '--checkers', 'testssl,nmap'])).toMatchObject({ checkers: ['testssl', 'nmap'] });
    expect(parseCommand(['run', '--checkers-only'])).toEqual({ name: 'run', ids: [], tags: [], scenarios: false });
    expect(() => parseCommand(['run', '--checkers-only', 'S01'])).toThrow(/--checkers-only runs no scenario/);
    expect(() => parseCommand(['run', '--no-checkers', '--checkers', 'nmap'])).toThrow(/--no-checkers goes with neither/);
    expect(() => parseCommand(['run', '--checkers', 'Nmap!'])).toThrow(/comma-separated list of checker ids/);
  });

  it('hands everything after -- to exec, flags included', () => {
    expect(parseCommand(['exec', 's1-d1', '--', 'ip', '-j', 'addr', '--', 'x'])).toEqual({
      name: 'exec',
      host: 's1-d1',
      argv: ['ip', '-j', 'addr', '--', 'x'],
    });
  });

  it('parses mutate and up --mutant', () => {
    expect(parseCommand(['mutate'])).toEqual({ name: 'mutate', ids: [], tags: [], list: false });
    expect(parseCommand(['mutate', 'lockout-off', 'telemetry-ping', '--tag', 'tls', '--seed', '7'])).toEqual({
      name: 'mutate',
      ids: ['lockout-off', 'telemetry-ping'],
      tags: ['tls'],
      list: false,
      seed: 7,
    });
    expect(parseCommand(['mutate', '--list'])).toMatchObject({ name: 'mutate', list: true });
    expect(parseCommand(['up', '--mutant', 'lockout-off'])).toMatchObject({ name: 'up', mutant: 'lockout-off' });
  });

  it('reads load: a profile, its bounds and thresholds, refusing a threshold it cannot judge before anything runs', () => {
    expect(parseCommand(['load', 'storm'])).toEqual({ name: 'load', profile: 'storm', thresholds: [] });
    expect(
      parseCommand(['load', 'sessions', '--clients', '2000', '--duration', '30', '--threshold', 'p99(connect_ms) < 800']),
    ).toEqual({ name: 'load', profile: 'sessions', clients: 2000, durationS: 30, thresholds: ['p99(connect_ms) < 800'] });
    expect(() => parseCommand(['load'])).toThrow('load: name a profile (sessions, storm, signin, tasks, turn)');
    expect(() => parseCommand(['load', 'soak'])).toThrow(
      'load: name a profile (sessions, storm, signin, tasks, turn), not "soak"',
    );
    expect(() => parseCommand(['load', 'storm', '--threshold', 'p99(reconnect_ms) fast'])).toThrow(
      /load: threshold "p99\(reconnect_ms\) fast": an operator/,
    );
    expect(() => parseCommand(['load', 'storm', '--clients', '0'])).toThrow('--clients takes a whole number of at least 1');
    expect(parseCommand(['load', 'storm', '--fault', 'instance'])).toEqual({
      name: 'load',
      profile: 'storm',
      fault: 'instance',
      thresholds: [],
    });
    expect(parseCommand(['load', 'storm', '--tls-resumption'])).toEqual({
      name: 'load',
      profile: 'storm',
      tlsResumption: true,
      thresholds: [],
    });
    expect(() => parseCommand(['load', 'storm', '--tls-resumption=yes'])).toThrow(/tls-resumption/);
    expect(() => parseCommand(['load', 'storm', '--fault', 'power'])).toThrow(
      'load: --fault is one of links, instance, not "power"',
    );
  });

  it('reads --driver for every command that can make a lab, and leaves it out when not given', () => {
    expect(parseCommand(['up', '--driver', 'docker'])).toMatchObject({ name: 'up', driver: 'docker' });
    expect(parseCommand(['up', '--driver=aws'])).toMatchObject({ name: 'up', driver: 'aws' });
    expect(parseCommand(['run', '--driver', 'docker', '--shard', '1/2'])).toEqual({
      name: 'run',
      ids: [],
      tags: [],
      shard: { index: 1, total: 2 },
      driver: 'docker',
    });
    expect(parseCommand(['run', 'S01'])).not.toHaveProperty('driver');
    expect(parseCommand(['mutate', 'lockout-off', '--driver', 'netns'])).toMatchObject({ name: 'mutate', driver: 'netns' });
    expect(parseCommand(['mutate'])).not.toHaveProperty('driver');
  });

  it.each([
    [['bogus'], 'unknown command "bogus"'],
    [['status', '--jsn'], "status: Unknown option '--jsn'"],
    [['up', '--sites', '0'], '--sites takes a whole number of at least 1, not "0"'],
    [['up', '--desktops', 'two'], '--desktops takes a whole number'],
    [['up', '--cloud-instances', '0'], '--cloud-instances takes a whole number of at least 1, not "0"'],
    [['up', '--cloud-instances', '9'], 'up: --cloud-instances takes 1 to 8, not 9'],
    [['up', '--driver', 'vmware'], 'up: --driver is netns, docker or aws, not "vmware"'],
    [['run', '--driver', 'podman'], 'run: --driver is netns, docker or aws, not "podman"'],
    [['mutate', '--driver', ''], 'mutate: --driver is netns, docker or aws, not ""'],
    [['run', '--driver'], "run: Option '--driver <value>' argument missing"],
    [['up', 'now'], 'up: Unexpected argument'],
    [['logs', 'cloud', 'relay'], 'logs: unexpected argument "relay"'],
    [['exec', '--', 'ls'], 'exec: which host?'],
    [['exec', 's1-d1'], 'exec: give the command after --'],
    [['down', '--prefix', 'Bad-Prefix'], 'down: --prefix is a lab prefix'],
    [['doctor', '--fix'], "doctor: Unknown option '--fix'"],
    [['images', 'base'], 'images: Unexpected argument'],
    [['run', '--shard', '0/3'], 'run: --shard 0/3: i runs from 1 to 3'],
    [['run', '--shard', '4/3'], 'run: --shard 4/3: i runs from 1 to 3'],
    [['run', '--shard', '1/0'], 'run: --shard 1/0: n, the number of shards, is at least 1'],
    [['run', '--shard', 'x'], 'run: --shard is i/n, part i of n (e.g. --shard 2/3), not "x"'],
    [['run', '--shard', '2'], 'run: --shard is i/n, part i of n (e.g. --shard 2/3), not "2"'],
    [['run', '--shard=-1/3'], 'run: --shard is i/n'],
    [['run', '--shard'], "run: Option '--shard <value>' argument missing"],
    [['up', '--mutant', 'Not An Id'], 'up: --mutant takes a mutant id like lockout-off'],
    [['mutate', 'S01'], 'mutate: a mutant id looks like lockout-off, not "S01"'],
    [['mutate', '--seed', 'x'], '--seed takes a whole number'],
  ])('refuses %j with a usage error', (argv, message) => {
    expect(() => parseCommand(argv)).toThrow(UsageError);
    expect(() => parseCommand(argv)).toThrow(message);
  });
});
