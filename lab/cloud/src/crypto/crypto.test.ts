import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { LocalMasterKeyProvider, parseMasterKey, parseTicketKeys } from './key-provider.ts';
import { credentialHash, newCredential } from './tokens.ts';

describe('master key provider', () => {
  const provider = new LocalMasterKeyProvider(randomBytes(32));

  it('round-trips, and the sealed form does not contain the plaintext', async () => {
    const sealed = await provider.seal(Buffer.from('sk-lab-secret-value-123'), 'agent-key:a1');
    expect(sealed).toMatch(/^mk1:/);
    expect(sealed).not.toContain('sk-lab');
    expect((await provider.open(sealed, 'agent-key:a1')).toString()).toBe('sk-lab-secret-value-123');
  });

  it('does not open under another context or another master key', async () => {
    const sealed = await provider.seal(Buffer.from('value'), 'agent-key:a1');
    await expect(provider.open(sealed, 'agent-key:a2')).rejects.toThrow();
    await expect(new LocalMasterKeyProvider(randomBytes(32)).open(sealed, 'agent-key:a1')).rejects.toThrow();
  });

  it('reads key files as raw bytes, hex or base64, and refuses anything else', () => {
    const key = randomBytes(32);
    expect(parseMasterKey(key)).toEqual(key);
    expect(parseMasterKey(Buffer.from(`${key.toString('hex')}\n`))).toEqual(key);
    expect(parseMasterKey(Buffer.from(key.toString('base64')))).toEqual(key);
    expect(() => parseMasterKey(Buffer.from('too short'))).toThrow(/32 bytes/);
    const ticketKeys = randomBytes(48);
    expect(parseTicketKeys(Buffer.from(ticketKeys.toString('hex')))).toEqual(ticketKeys);
    expect(() => parseTicketKeys(Buffer.from('too short'))).toThrow(/TLS ticket keys file must hold 48 bytes/);
  });
});

describe('credentials', () => {
  it('are prefix + 32 random bytes, stored only as SHA-256', () => {
    const token = newCredential('instance');
    expect(token).toMatch(/^mci_[A-Za-z0-9_-]{43}$/);
    expect(credentialHash(token)).toHaveLength(32);
    expect(newCredential('instance')).not.toBe(token);
  });
});
