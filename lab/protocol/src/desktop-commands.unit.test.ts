import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  DESKTOP_COMMAND_LIST,
  DESKTOP_COMMANDS,
  type DesktopCommandArgs,
  DesktopCommandLine,
  type DesktopCommandResult,
  DesktopResultLine,
  isDesktopCommandName,
} from './desktop-commands.ts';
import { GatewayStatus, TaskView } from './gateway-api.ts';
import { AgentView, InvitationView, MembersResponse, MeResponse } from './rest.ts';

describe('the desktop command table', () => {
  it('names each command by its key', () => {
    for (const [key, command] of Object.entries(DESKTOP_COMMANDS)) expect(command.name).toBe(key);
    expect(DESKTOP_COMMAND_LIST.map((c) => c.name)).toEqual(Object.keys(DESKTOP_COMMANDS));
    expect(isDesktopCommandName('status')).toBe(true);
    expect(isDesktopCommandName('shutdown')).toBe(false);
    expect(isDesktopCommandName('toString')).toBe(false);
  });

  it('passes on the REST and local gateway answers with their own schemas', () => {
    expect(DESKTOP_COMMANDS.me.result).toBe(MeResponse);
    expect(DESKTOP_COMMANDS.listMembers.result).toBe(MembersResponse);
    expect(DESKTOP_COMMANDS.inviteMember.result).toBe(InvitationView);
    expect(DESKTOP_COMMANDS.setAgentKey.result).toBe(AgentView);
    expect(DESKTOP_COMMANDS.gatewayStatus.result).toBe(GatewayStatus);
    expect(DESKTOP_COMMANDS.getTask.result).toBe(TaskView);
  });

  it('refuses arguments a command does not take, and fills in defaults', () => {
    expect(DESKTOP_COMMANDS.status.args.safeParse({}).success).toBe(true);
    expect(DESKTOP_COMMANDS.status.args.safeParse({ extra: 1 }).success).toBe(false);
    expect(DESKTOP_COMMANDS.signIn.args.safeParse({ email: 5 }).success).toBe(false);
    expect(DESKTOP_COMMANDS.inviteMember.args.parse({ workspaceId: 'w1', email: 'b@x.test' })).toMatchObject({ role: 'member' });
    expect(DESKTOP_COMMANDS.viewDesktop.args.parse({ instanceId: 'i1' })).toEqual({
      instanceId: 'i1',
      mode: 'auto',
      frames: 10,
      timeoutMs: 15_000,
    });
  });

  it('describes results as they arrive after JSON: an undefined field is absent', () => {
    const view = {
      sessionId: 's',
      mode: 'auto',
      connectMs: 5,
      attempt: 'direct',
      failedAttempts: [],
      frames: 1,
      bytes: 9,
      sha256: ['ab'],
    };
    expect(DESKTOP_COMMANDS.viewDesktop.result.safeParse(view).success).toBe(true);
    const status = { state: 'connected', signedIn: true, user: null, version: '1.0.0' };
    expect(DESKTOP_COMMANDS.status.result.safeParse(status).success).toBe(true);
    expect(DESKTOP_COMMANDS.status.result.safeParse({ ...status, state: 'asleep' }).success).toBe(false);
    expect(DESKTOP_COMMANDS.crash.result.safeParse({ crashing: true }).success).toBe(true);
    expect(DESKTOP_COMMANDS.changePassword.result.safeParse({ unexpected: 1 }).success).toBe(false);
  });

  it('types arguments by their input side and results by their output side', () => {
    expectTypeOf<DesktopCommandResult<'status'>['state']>().toEqualTypeOf<
      'signed-out' | 'signed-in' | 'connecting' | 'connected' | 'reconnecting'
    >();
    expectTypeOf<DesktopCommandArgs<'inviteMember'>>().toEqualTypeOf<{
      workspaceId: string;
      email: string;
      role?: 'owner' | 'member' | undefined;
    }>();
    expectTypeOf<DesktopCommandResult<'checkForUpdate'>['status']>().toEqualTypeOf<'up-to-date' | 'installed' | 'rejected'>();
  });
});

describe('the serve-mode wire', () => {
  it('reads a command line; args are checked later, per command', () => {
    expect(DesktopCommandLine.parse({ id: 1, cmd: 'status' })).toEqual({ id: 1, cmd: 'status' });
    expect(DesktopCommandLine.safeParse({ id: {}, cmd: 'status' }).success).toBe(false);
    expect(DesktopCommandLine.safeParse({ id: 'x', cmd: 'c'.repeat(101) }).success).toBe(false);
  });

  it('reads result lines, which carry the log line fields as well', () => {
    const ok = DesktopResultLine.parse({ level: 30, time: 1, event: 'result', id: 'c1', cmd: 'me', ok: true, result: { a: 1 } });
    expect(ok).toMatchObject({ ok: true, result: { a: 1 }, level: 30 });
    const failed = DesktopResultLine.parse({
      event: 'result',
      id: null,
      ok: false,
      error: { code: 'bad_request', message: 'no' },
    });
    expect(failed.ok === false && failed.error.code).toBe('bad_request');
    expect(DesktopResultLine.safeParse({ event: 'result', id: 'c1', ok: false }).success).toBe(false);
    expect(DesktopResultLine.safeParse({ event: 'state', id: 'c1', ok: true }).success).toBe(false);
  });
});
