import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  generateMinisignKeyPair,
  MinisignError,
  type MinisignErrorCode,
  minisigFromTauriSignature,
  minisignPublicKeyText,
  minisignSecretKeyText,
  parseMinisignSecretKey,
  signMinisign,
  tauriSignatureFromMinisig,
  verifyMinisign,
} from './minisign.ts';

const run = promisify(execFile);

// The Debian `minisign` CLI (0.11) is the reference: signatures must cross over both ways.
let dir: string;
let cliPublicKey: string;
let cliSecretKey: string;
const data = Buffer.from('MultiClaw 1.2.3 for linux-x86_64\n');

function minisign(...args: string[]) {
  return run('minisign', args, { cwd: dir });
}

function algorithmOf(signature: string): string {
  return Buffer.from(signature.split('\n')[1]!, 'base64').subarray(0, 2).toString('latin1');
}

function codeOf(fn: () => unknown): MinisignErrorCode | string {
  try {
    fn();
  } catch (err) {
    if (err instanceof MinisignError) return err.code;
    return `not a MinisignError: ${String(err)}`;
  }
  return 'did not throw';
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'minisign-test-'));
  await minisign('-G', '-W', '-p', 'cli.pub', '-s', 'cli.key');
  cliPublicKey = await readFile(join(dir, 'cli.pub'), 'utf8');
  cliSecretKey = await readFile(join(dir, 'cli.key'), 'utf8');
  await writeFile(join(dir, 'artifact.bin'), data);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('signatures made by the minisign CLI', () => {
  it('verifies a prehashed (default) signature and returns its trusted comment and key id', async () => {
    await minisign('-S', '-s', 'cli.key', '-m', 'artifact.bin', '-t', 'lab release 1.2.3');
    const signature = await readFile(join(dir, 'artifact.bin.minisig'), 'utf8');
    expect(algorithmOf(signature)).toBe('ED');
    // the CLI prints the key id with %PRIX64: no leading zeros (1 key in 16 has a shorter id)
    const keyId = /minisign public key ([0-9A-F]{1,16})\n/.exec(cliPublicKey)![1]!.padStart(16, '0');

    const result = verifyMinisign(data, signature, cliPublicKey);

    expect(result).toEqual({ trustedComment: 'lab release 1.2.3', keyId });
  });

  it('verifies a legacy (-l, "Ed") signature', async () => {
    await minisign('-S', '-l', '-s', 'cli.key', '-m', 'artifact.bin', '-x', 'legacy.minisig');
    const signature = await readFile(join(dir, 'legacy.minisig'), 'utf8');
    expect(algorithmOf(signature)).toBe('Ed');

    expect(verifyMinisign(data, signature, cliPublicKey).trustedComment).toMatch(/^timestamp:\d+\tfile:artifact\.bin$/);
  });

  it('accepts the public key as its bare base64 line', async () => {
    await minisign('-S', '-s', 'cli.key', '-m', 'artifact.bin');
    const signature = await readFile(join(dir, 'artifact.bin.minisig'), 'utf8');
    const bareKey = cliPublicKey.trim().split('\n')[1]!;

    expect(() => verifyMinisign(data, signature, bareKey)).not.toThrow();
  });

  it('reads an unencrypted CLI secret key, derives the same public key, and the CLI accepts our signature made with it', async () => {
    const secretKey = parseMinisignSecretKey(cliSecretKey);
    expect(minisignPublicKeyText(secretKey).split('\n')[1]).toBe(cliPublicKey.trim().split('\n')[1]);

    await writeFile(join(dir, 'ours-with-cli-key.minisig'), signMinisign(data, secretKey, { trustedComment: 'made by the lab' }));
    const { stdout } = await minisign('-V', '-p', 'cli.pub', '-m', 'artifact.bin', '-x', 'ours-with-cli-key.minisig');

    expect(stdout).toContain('Trusted comment: made by the lab');
  });
});

describe('signatures made by this module', () => {
  it('verify with `minisign -V`', async () => {
    const { publicKeyText, secretKey } = generateMinisignKeyPair();
    await writeFile(join(dir, 'ours.pub'), publicKeyText);
    await writeFile(join(dir, 'artifact.bin.minisig'), signMinisign(data, secretKey, { trustedComment: 'version:1.2.3' }));

    const { stdout } = await minisign('-V', '-p', 'ours.pub', '-m', 'artifact.bin');

    expect(stdout).toContain('Signature and comment signature verified');
    expect(stdout).toContain('Trusted comment: version:1.2.3');
  });

  it('verify with this module, keeping the trusted comment exactly (trailing space included)', () => {
    const { publicKeyText, secretKey } = generateMinisignKeyPair();
    const signature = signMinisign(data, secretKey, { trustedComment: 'spaces at the end  ', untrustedComment: 'lab' });

    expect(verifyMinisign(data, signature, publicKeyText)).toEqual({
      trustedComment: 'spaces at the end  ',
      keyId: secretKey.keyId,
    });
  });

  it('default to a timestamp trusted comment', () => {
    const { publicKeyText, secretKey } = generateMinisignKeyPair();
    expect(verifyMinisign(data, signMinisign(data, secretKey), publicKeyText).trustedComment).toMatch(/^timestamp:\d+\thashed$/);
  });

  it('our unencrypted secret key file is one the CLI signs with', async () => {
    const { publicKeyText, secretKey } = generateMinisignKeyPair();
    await writeFile(join(dir, 'ours.key'), minisignSecretKeyText(secretKey));
    await minisign('-S', '-s', 'ours.key', '-m', 'artifact.bin', '-x', 'cli-with-our-key.minisig');
    const signature = await readFile(join(dir, 'cli-with-our-key.minisig'), 'utf8');

    expect(verifyMinisign(data, signature, publicKeyText).keyId).toBe(secretKey.keyId);
    expect(parseMinisignSecretKey(minisignSecretKeyText(secretKey))).toEqual(secretKey);
  });

  it('refuse comments that would not survive the line format', () => {
    const { secretKey } = generateMinisignKeyPair();
    expect(codeOf(() => signMinisign(data, secretKey, { trustedComment: 'two\nlines' }))).toBe('malformed_signature');
  });
});

describe('verification failures', () => {
  const { publicKeyText, secretKey } = generateMinisignKeyPair();
  const signature = signMinisign(data, secretKey, { trustedComment: 'version:1.2.3' });

  it('tampered data → bad_signature (and the CLI agrees)', async () => {
    const tampered = Buffer.from(data);
    tampered[0]! ^= 0x01;
    expect(codeOf(() => verifyMinisign(tampered, signature, publicKeyText))).toBe('bad_signature');

    await writeFile(join(dir, 'tampered.bin'), tampered);
    await writeFile(join(dir, 'tampered.pub'), publicKeyText);
    await writeFile(join(dir, 'tampered.bin.minisig'), signature);
    await expect(minisign('-V', '-p', 'tampered.pub', '-m', 'tampered.bin')).rejects.toMatchObject({ code: 1 });
  });

  it('another key → key_mismatch', () => {
    expect(codeOf(() => verifyMinisign(data, signature, generateMinisignKeyPair().publicKeyText))).toBe('key_mismatch');
  });

  it('another key that claims the same key id → bad_signature', () => {
    const other = generateMinisignKeyPair().secretKey;
    const impostor = minisignPublicKeyText({ ...other, keyNum: secretKey.keyNum, keyId: secretKey.keyId });
    expect(codeOf(() => verifyMinisign(data, signature, impostor))).toBe('bad_signature');
  });

  it('altered trusted comment → bad_global_signature (and the CLI agrees)', async () => {
    const altered = signature.replace('trusted comment: version:1.2.3', 'trusted comment: version:9.9.9');
    expect(altered).not.toBe(signature);
    expect(codeOf(() => verifyMinisign(data, altered, publicKeyText))).toBe('bad_global_signature');

    await writeFile(join(dir, 'altered.pub'), publicKeyText);
    await writeFile(join(dir, 'altered.minisig'), altered);
    await expect(minisign('-V', '-p', 'altered.pub', '-m', 'artifact.bin', '-x', 'altered.minisig')).rejects.toMatchObject({
      stderr: expect.stringContaining('Comment signature verification failed'),
    });
  });

  it('CRLF line endings still verify', () => {
    expect(() => verifyMinisign(data, signature.replace(/\n/g, '\r\n'), publicKeyText.replace(/\n/g, '\r\n'))).not.toThrow();
  });
});

describe('malformed input never crashes, it fails with a code', () => {
  const { publicKeyText, secretKey } = generateMinisignKeyPair();
  const signature = signMinisign(data, secretKey);
  const [untrusted, sigLine, trusted, globalLine] = signature.trimEnd().split('\n') as [string, string, string, string];
  const withSigLine = (line: string) => [untrusted, line, trusted, globalLine].join('\n');
  const sigBytes = Buffer.from(sigLine, 'base64');
  const keyBytes = Buffer.from(publicKeyText.trim().split('\n')[1]!, 'base64');

  const keys: [string, unknown][] = [
    ['empty', ''],
    ['only a comment', 'untrusted comment: nothing follows\n'],
    ['not base64', 'untrusted comment: x\n!!!not base64!!!'],
    ['too short', keyBytes.subarray(0, 20).toString('base64')],
    ['too long', Buffer.concat([keyBytes, Buffer.from([0])]).toString('base64')],
    ['not a string', 42],
  ];
  it.each(keys)('public key: %s → malformed_key', (_name, key) => {
    expect(codeOf(() => verifyMinisign(data, signature, key as string))).toBe('malformed_key');
  });

  const signatures: [string, unknown][] = [
    ['empty', ''],
    ['three lines', [untrusted, sigLine, trusted].join('\n')],
    ['five lines', `${signature}extra line\n`],
    ['no untrusted comment prefix', ['comment: x', sigLine, trusted, globalLine].join('\n')],
    ['no trusted comment prefix', [untrusted, sigLine, 'comment: x', globalLine].join('\n')],
    ['signature not base64', withSigLine('%%%%')],
    ['signature truncated', withSigLine(sigBytes.subarray(0, 40).toString('base64'))],
    ['global signature truncated', [untrusted, sigLine, trusted, 'AAAA'].join('\n')],
    ['a .pub file given as signature', publicKeyText],
    ['not a string', null],
  ];
  it.each(signatures)('signature: %s → malformed_signature', (_name, sig) => {
    expect(codeOf(() => verifyMinisign(data, sig as string, publicKeyText))).toBe('malformed_signature');
  });

  it('unknown signature algorithm → unsupported_algorithm', () => {
    const other = Buffer.from(sigBytes);
    other.write('XX', 0, 'latin1');
    expect(codeOf(() => verifyMinisign(data, withSigLine(other.toString('base64')), publicKeyText))).toBe(
      'unsupported_algorithm',
    );
  });

  it('unknown public key algorithm → unsupported_algorithm', () => {
    const other = Buffer.from(keyBytes);
    other.write('XX', 0, 'latin1');
    expect(codeOf(() => verifyMinisign(data, signature, other.toString('base64')))).toBe('unsupported_algorithm');
  });

  it('an encrypted secret key is refused with advice', () => {
    const raw = Buffer.from(cliSecretKey.trim().split('\n')[1]!, 'base64');
    raw.write('Sc', 2, 'latin1');
    let message = '';
    try {
      parseMinisignSecretKey(`untrusted comment: minisign encrypted secret key\n${raw.toString('base64')}\n`);
    } catch (err) {
      message = (err as Error).message;
      expect((err as MinisignError).code).toBe('unsupported_algorithm');
    }
    expect(message).toContain('minisign -G -W');
  });

  it('a corrupt secret key → malformed_key', () => {
    const raw = Buffer.from(cliSecretKey.trim().split('\n')[1]!, 'base64');
    raw[100]! ^= 0xff; // inside the stored public half
    expect(codeOf(() => parseMinisignSecretKey(raw.toString('base64')))).toBe('malformed_key');
    expect(codeOf(() => parseMinisignSecretKey('garbage'))).toBe('malformed_key');
  });
});

describe('Tauri manifest signature field', () => {
  it('round-trips a .minisig text, and an empty or non-base64 field is malformed_signature', () => {
    const { publicKeyText, secretKey } = generateMinisignKeyPair();
    const signature = signMinisign(data, secretKey);
    const field = tauriSignatureFromMinisig(signature);

    expect(field).not.toContain('\n');
    expect(verifyMinisign(data, minisigFromTauriSignature(field), publicKeyText).keyId).toBe(secretKey.keyId);
    expect(codeOf(() => minisigFromTauriSignature(''))).toBe('malformed_signature');
    expect(codeOf(() => minisigFromTauriSignature('not base64!'))).toBe('malformed_signature');
  });
});
