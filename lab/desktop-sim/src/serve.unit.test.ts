import { PassThrough } from 'node:stream';
import { DESKTOP_COMMANDS, ProtocolError } from '@multiclaw-lab/protocol';
import { describe, expect, it } from 'vitest';
import { createDesktopApp } from './app.ts';
import { COMMANDS } from './commands.ts';
import { checkResult, serveCommands } from './serve.ts';
import { capturingLogger, tempDir } from './testing/helpers.ts';

describe('serve mode, in process', () => {
  it('implements exactly the commands of the protocol table', () => {
    expect(Object.keys(COMMANDS).sort()).toEqual(Object.keys(DESKTOP_COMMANDS).sort());
  });

  it('checks a result as the harness receives it, and refuses one outside its schema naming the command', () => {
    const viewed = {
      sessionId: 's1',
      mode: 'auto',
      connectMs: 12,
      attempt: 'direct',
      failedAttempts: [],
      firstFrameMs: undefined,
      pair: undefined,
      frames: 1,
      bytes: 10,
      sha256: ['ab'],
      framesPerSecond: undefined,
    };
    expect(checkResult('viewDesktop', viewed)).toBe(viewed);
    const status = { state: 5, signedIn: true, user: null, version: '1.0.0' };
    let refusal: unknown;
    try {
      checkResult('status', status);
    } catch (err) {
      refusal = err;
    }
    expect(refusal).toBeInstanceOf(ProtocolError);
    expect(refusal).toMatchObject({ code: 'internal', issues: [{ path: 'state' }] });
    expect((refusal as Error).message).toMatch(/^the result of status does not match its schema/);
  });

  it('answers a command with its checked result, and refuses unknown commands and bad arguments', async () => {
    const { logger, events } = capturingLogger();
    // nothing here reaches the cloud: `status` reads local state only
    const app = await createDesktopApp({ profileDir: await tempDir('serve-unit'), cloudUrl: 'https://127.0.0.1:9', logger });
    const input = new PassThrough();
    const serving = serveCommands(app, input, { checkResults: true });
    input.end(
      [
        { id: 1, cmd: 'status' },
        { id: 2, cmd: 'fly' },
        { id: 3, cmd: 'status', args: { verbose: true } },
      ]
        .map((line) => JSON.stringify(line))
        .join('\n'),
    );
    await serving;
    await app.close();
    const results = events().filter((e) => e.event === 'result');
    expect(results.find((e) => e.id === 1)).toMatchObject({
      ok: true,
      result: { state: 'signed-out', signedIn: false, user: null, version: '1.0.0' },
    });
    expect(results.find((e) => e.id === 2)).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    expect(results.find((e) => e.id === 3)).toMatchObject({ ok: false, error: { code: 'bad_request' } });
  });
});
