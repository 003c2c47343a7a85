import { describe, expect, it } from 'vitest';
import { shellCommand, shellQuote } from './shell.ts';

describe('shell quoting', () => {
  it('leaves plain words readable', () => {
    expect(shellCommand(['nft', '-f', '/tmp/x.nft', 'KEY=value'])).toBe('nft -f /tmp/x.nft KEY=value');
  });

  it('quotes anything a shell would expand, split or end on', () => {
    expect(shellQuote('')).toBe("''");
    expect(shellQuote('a b')).toBe("'a b'");
    expect(shellQuote('$(reboot)')).toBe("'$(reboot)'");
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
    expect(shellQuote('a\nb;c&d|e`f`*')).toBe("'a\nb;c&d|e`f`*'");
  });
});
