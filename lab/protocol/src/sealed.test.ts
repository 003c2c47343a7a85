import { describe, expect, it } from 'vitest';
import { ProtocolError } from './errors.ts';
import { deriveInstanceKey, isSealed, SEAL_PREFIX, seal, unseal } from './sealed.ts';

describe('enc: sealing', () => {
  const token = 'mci_instance-token-aaaaaaaaaaaaaaaa';
  const key = deriveInstanceKey(token, 'inst-1');

  it('round-trips and never contains the plaintext', () => {
    const sealed = seal('sk-lab-secret-key-1234', key, 'inst-1', 'agent-1');
    expect(sealed.startsWith(SEAL_PREFIX)).toBe(true);
    expect(isSealed(sealed)).toBe(true);
    expect(sealed).not.toContain('sk-lab-secret-key-1234');
    expect(unseal(sealed, key, 'inst-1', 'agent-1')).toBe('sk-lab-secret-key-1234');
  });

  it('uses a fresh IV each time', () => {
    expect(seal('same', key, 'inst-1', 'a')).not.toBe(seal('same', key, 'inst-1', 'a'));
  });

  it("does not open with another instance's token, another instance id or another place", () => {
    const sealed = seal('sk-lab-secret-key-1234', key, 'inst-1', 'agent-1');
    const otherToken = deriveInstanceKey('mci_other-token-bbbbbbbbbbbbbbbbb', 'inst-1');
    expect(() => unseal(sealed, otherToken, 'inst-1', 'agent-1')).toThrow(ProtocolError);
    expect(() => unseal(sealed, deriveInstanceKey(token, 'inst-2'), 'inst-2', 'agent-1')).toThrow(ProtocolError);
    expect(() => unseal(sealed, key, 'inst-1', 'agent-2')).toThrow(ProtocolError);
  });

  it('refuses garbage with a protocol error, not a crash', () => {
    for (const bad of ['plain', 'enc:', 'enc:AAAA', `enc:${Buffer.alloc(40, 2).toString('base64url')}`]) {
      expect(() => unseal(bad, key, 'inst-1', 'a')).toThrow(ProtocolError);
    }
  });
});
