import { describe, expect, it } from 'vitest';
import { ProtocolError } from './errors.ts';
import { parseClientFrame, parseServerFrame } from './realtime.ts';

const status = { type: 'task.status', taskId: 't1', seq: 1, state: 'running', detail: '', at: '2026-01-01T00:00:00.000Z' };

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof ProtocolError ? err.code : 'not-a-protocol-error';
  }
  return undefined;
}

describe('real-time frames', () => {
  it('accepts each channel its own frames', () => {
    expect(parseClientFrame('gateway', JSON.stringify(status)).type).toBe('task.status');
    expect(parseClientFrame('daemon', Buffer.from(JSON.stringify(status))).type).toBe('task.status');
    const offer = { type: 'rtc.offer', sessionId: 'session-1', instanceId: 'i1', sdp: 'v=0' };
    expect(parseClientFrame('user', JSON.stringify(offer)).type).toBe('rtc.offer');
  });

  it('refuses frames of another channel (trust zones)', () => {
    expect(codeOf(() => parseClientFrame('user', JSON.stringify(status)))).toBe('malformed_message');
    const offer = { type: 'rtc.offer', sessionId: 'session-1', instanceId: 'i1', sdp: 'v=0' };
    expect(codeOf(() => parseClientFrame('gateway', JSON.stringify(offer)))).toBe('malformed_message');
  });

  it('refuses non-JSON, wrong types and missing fields with malformed_message', () => {
    for (const raw of [
      '',
      'not json',
      '[]',
      'null',
      '{"type":"task.status"}',
      JSON.stringify({ ...status, seq: 0 }),
      JSON.stringify({ ...status, seq: '1' }),
    ]) {
      expect(codeOf(() => parseClientFrame('gateway', raw))).toBe('malformed_message');
    }
  });

  it('parses server frames per channel', () => {
    const sync = { type: 'config.sync', version: 2, workspaceId: 'w', instanceId: 'i', agents: [] };
    expect(parseServerFrame('gateway', JSON.stringify(sync)).type).toBe('config.sync');
    expect(codeOf(() => parseServerFrame('user', JSON.stringify(sync)))).toBe('malformed_message');
    const bad = { ...sync, agents: [{ id: 'a', name: 'a', provider: 'p', model: 'm', baseUrl: 'u', apiKey: 'sk-plain' }] };
    expect(codeOf(() => parseServerFrame('gateway', JSON.stringify(bad)))).toBe('malformed_message');
  });
});
