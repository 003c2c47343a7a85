import { describe, expect, it } from 'vitest';
import { keyFingerprint } from './fingerprint.ts';

describe('LLM key fingerprints', () => {
  it('are the first 16 hex digits of SHA-256 of the key', () => {
    // sha256("abc") = ba7816bf8f01cfea414140de5dae2223...
    expect(keyFingerprint('abc')).toBe('ba7816bf8f01cfea');
  });
});
