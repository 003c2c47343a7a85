import { describe, expect, it } from 'vitest';
import { pickTurnUrl, ScreenInput, turnUrlTransport } from './screen.ts';

describe('TURN URL choice', () => {
  const urls = ['turn:turn.multiclaw.test:3478?transport=udp', 'turns:turn.multiclaw.test:443?transport=tcp'];
  it('names each URL by how the peer reaches coturn', () => {
    expect(turnUrlTransport('turn:h:3478')).toBe('udp');
    expect(turnUrlTransport('turn:h:3478?transport=tcp')).toBe('tcp');
    expect(turnUrlTransport('turns:h:443?transport=tcp')).toBe('tls');
    expect(turnUrlTransport('stun:h:3478')).toBeUndefined();
  });
  it('picks exactly one URL per transport, or none', () => {
    expect(pickTurnUrl(urls, 'udp')).toBe(urls[0]);
    expect(pickTurnUrl(urls, 'tls')).toBe(urls[1]);
    expect(pickTurnUrl(urls, 'tcp')).toBeUndefined();
  });
});

describe('ScreenInput', () => {
  it('accepts pointer and key events and refuses anything else', () => {
    expect(ScreenInput.parse({ type: 'pointer', x: 1, y: 2 })).toEqual({ type: 'pointer', x: 1, y: 2, buttons: 0 });
    expect(ScreenInput.safeParse({ type: 'exec', cmd: 'rm -rf /' }).success).toBe(false);
    expect(ScreenInput.safeParse({ type: 'pointer', x: -1, y: 0 }).success).toBe(false);
  });
});
