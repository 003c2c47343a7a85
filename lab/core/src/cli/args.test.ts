import { describe, expect, it } from 'vitest';
import { parseCommand, UsageError } from './args.ts';

describe('lab command-line parsing', () => {
  it('reads every command of the contract', () => {
    expect(parseCommand(['up'])).toEqual({ name: 'up', driver: 'netns', sites: undefined, desktops: undefined });
    expect(parseCommand(['up', '--sites', '2', '--desktops', '3', '--driver', 'netns'])).toEqual({
      name: 'up',
      driver: 'netns',
      sites: 2,
      desktops: 3,
    });
    expect(parseCommand(['status', '--json'])).toEqual({ name: 'status', json: true });
    expect(parseCommand(['logs', 'cloud', '-f'])).toEqual({ name: 'logs', service: 'cloud', follow: true, lines: 50 });
    expect(parseCommand(['logs', '-n', '5'])).toEqual({ name: 'logs', service: undefined, follow: false, lines: 5 });
    expect(parseCommand(['down'])).toEqual({ name: 'down', prefix: undefined });
    expect(parseCommand(['down', '--prefix', 't3a9'])).toEqual({ name: 'down', prefix: 't3a9' });
    expect(parseCommand(['doctor', '--json', '--install'])).toEqual({ name: 'doctor', json: true, install: true });
    expect(parseCommand(['report'])).toEqual({ name: 'report' });
    expect(parseCommand([])).toEqual({ name: 'help' });
    expect(parseCommand(['--help'])).toEqual({ name: 'help' });
  });

  it('hands everything after -- to exec, flags included', () => {
    expect(parseCommand(['exec', 's1-d1', '--', 'ip', '-j', 'addr', '--', 'x'])).toEqual({
      name: 'exec',
      host: 's1-d1',
      argv: ['ip', '-j', 'addr', '--', 'x'],
    });
  });

  it.each([
    [['bogus'], 'unknown command "bogus"'],
    [['status', '--jsn'], "status: Unknown option '--jsn'"],
    [['up', '--sites', '0'], '--sites takes a whole number of at least 1, not "0"'],
    [['up', '--desktops', 'two'], '--desktops takes a whole number'],
    [['up', '--driver', 'vmware'], '--driver is netns, docker or aws'],
    [['up', 'now'], 'up: Unexpected argument'],
    [['logs', 'cloud', 'relay'], 'logs: unexpected argument "relay"'],
    [['exec', '--', 'ls'], 'exec: which host?'],
    [['exec', 's1-d1'], 'exec: give the command after --'],
    [['down', '--prefix', 'Bad-Prefix'], 'down: --prefix is a lab prefix'],
    [['doctor', '--fix'], "doctor: Unknown option '--fix'"],
  ])('refuses %j with a usage error', (argv, message) => {
    expect(() => parseCommand(argv)).toThrow(UsageError);
    expect(() => parseCommand(argv)).toThrow(message);
  });
});
