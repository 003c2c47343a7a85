import { execFile } from 'node:child_process';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ManualClock } from '@multiclaw-lab/kit';
import {
  ErrorBodySchema,
  LAB_PLATFORM,
  MinisignError,
  minisigFromTauriSignature,
  parseMinisignSecretKey,
  UpdateManifest,
  verifyMinisign,
} from '@multiclaw-lab/protocol';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { opensslHandshake, type TestTls, tempDir, testTls } from '../test-support.ts';
import { CdnAdminClient } from './admin-client.ts';
import { artifactBytes } from './artifact.ts';
import { type CdnHandle, startCdn } from './cdn.ts';

const run = promisify(execFile);
const clock = new ManualClock(new Date('2026-04-01T12:00:00Z'));
let dir: Awaited<ReturnType<typeof tempDir>>;
let tls: TestTls;
let cdn: CdnHandle;
let admin: CdnAdminClient;
let builtInKey: string;

beforeAll(async () => {
  dir = await tempDir('cdn-');
  tls = await testTls();
  cdn = await startCdn({ tls: tls.tls, adminSocketPath: join(dir.path, 'admin.sock'), clock });
  admin = new CdnAdminClient(cdn.adminSocketPath);
  builtInKey = await admin.publicKey();
});

afterAll(async () => {
  await admin?.close();
  await cdn?.close();
  await tls?.agent.close();
  await dir?.remove();
});

async function get(url: string) {
  const response = await request(url, { dispatcher: tls.agent });
  return { status: response.statusCode, bytes: Buffer.from(await response.body.arrayBuffer()) };
}

/** What the desktop updater does: manifest, then the file it names, then the signature it carries. */
async function download(channel: string) {
  const manifestResponse = await get(`${cdn.url}/updates/${channel}/latest.json`);
  expect(manifestResponse.status).toBe(200);
  const manifest = UpdateManifest.parse(JSON.parse(manifestResponse.bytes.toString('utf8')));
  const platform = manifest.platforms[LAB_PLATFORM]!;
  const artifact = await get(platform.url);
  expect(artifact.status).toBe(200);
  return { manifest, platform, artifact: artifact.bytes };
}

function verifyCode(data: Uint8Array, signatureField: string, key: string): string {
  try {
    verifyMinisign(data, minisigFromTauriSignature(signatureField), key);
    return 'verified';
  } catch (err) {
    return err instanceof MinisignError ? err.code : String(err);
  }
}

/** `minisign -V` on the downloaded file, with the .minisig fetched from the CDN beside it. */
async function cliVerify(name: string, artifact: Buffer, minisig: Buffer) {
  await writeFile(join(dir.path, name), artifact);
  await writeFile(join(dir.path, `${name}.minisig`), minisig);
  await writeFile(join(dir.path, 'built-in.pub'), builtInKey);
  return run('minisign', ['-V', '-p', 'built-in.pub', '-m', name], { cwd: dir.path });
}

describe('releases', () => {
  it('valid: the download verifies with the real minisign CLI and with our verifier', async () => {
    const release = await admin.publish({
      channel: 'stable',
      version: '1.2.3',
      notes: 'fixes',
      variant: 'valid',
      sizeBytes: 4096,
    });
    const { manifest, platform, artifact } = await download('stable');

    expect(manifest).toMatchObject({ version: '1.2.3', notes: 'fixes', pub_date: '2026-04-01T12:00:00.000Z' });
    expect(artifact.equals(artifactBytes('1.2.3', 4096))).toBe(true);
    expect(artifact.subarray(0, 64).toString('utf8')).toContain('1.2.3');
    const minisig = await get(release.signatureUrl!);
    expect(minisig.status).toBe(200);
    expect(minisigFromTauriSignature(platform.signature)).toBe(minisig.bytes.toString('utf8'));

    const { stdout } = await cliVerify('valid.AppImage', artifact, minisig.bytes);
    expect(stdout).toContain('Signature and comment signature verified');
    expect(stdout).toContain('file:MultiClaw_1.2.3_amd64.AppImage');
    expect(verifyCode(artifact, platform.signature, builtInKey)).toBe('verified');
  });

  it('tampered: served bytes differ from the signed ones → bad_signature (the CLI refuses too)', async () => {
    const release = await admin.publish({ channel: 'tampered', version: '1.2.4', variant: 'tampered' });
    const { platform, artifact } = await download('tampered');

    expect(verifyCode(artifact, platform.signature, builtInKey)).toBe('bad_signature');
    expect(artifact.length).toBe(release.sizeBytes);
    const minisig = await get(release.signatureUrl!);
    await expect(cliVerify('tampered.AppImage', artifact, minisig.bytes)).rejects.toMatchObject({ code: 1 });
  });

  it('unsigned: empty manifest signature and no .minisig → malformed_signature', async () => {
    const release = await admin.publish({ channel: 'unsigned', version: '1.2.5', variant: 'unsigned' });
    const { platform, artifact } = await download('unsigned');

    expect(platform.signature).toBe('');
    expect(release.signatureUrl).toBeNull();
    expect((await get(`${release.artifactUrl}.minisig`)).status).toBe(404);
    expect(verifyCode(artifact, platform.signature, builtInKey)).toBe('malformed_signature');
  });

  it('wrong-key: signed by a key the app does not have → key_mismatch', async () => {
    const release = await admin.publish({ channel: 'wrong-key', version: '1.2.6', variant: 'wrong-key' });
    const { platform, artifact } = await download('wrong-key');

    const builtInKeyId = /minisign public key ([0-9A-F]{1,16})\n/.exec(builtInKey)![1]!.padStart(16, '0');
    expect(release.signedBy).toMatch(/^[0-9A-F]{16}$/);
    expect(release.signedBy).not.toBe(builtInKeyId);
    expect(verifyCode(artifact, platform.signature, builtInKey)).toBe('key_mismatch');
  });

  it('HEAD on a file answers its length without the body', async () => {
    const release = await admin.publish({ channel: 'head', version: '1.0.0', variant: 'valid', sizeBytes: 1000 });
    const response = await request(release.artifactUrl, { method: 'HEAD', dispatcher: tls.agent });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-length']).toBe('1000');
    await response.body.dump();
  });

  it('the latest release is the one published last; earlier files stay downloadable', async () => {
    const first = await admin.publish({ channel: 'beta', version: '2.0.0', variant: 'valid', sizeBytes: 256 });
    await admin.publish({ channel: 'beta', version: '2.0.1', variant: 'valid', sizeBytes: 256 });

    expect((await download('beta')).manifest.version).toBe('2.0.1');
    expect((await get(first.artifactUrl)).bytes.equals(artifactBytes('2.0.0', 256))).toBe(true);
    expect((await admin.releases()).filter((r) => r.channel === 'beta').map((r) => r.version)).toEqual(['2.0.0', '2.0.1']);
  });
});

describe('refusals', () => {
  async function expectError(url: string, status: number) {
    const response = await request(url, { dispatcher: tls.agent });
    expect(response.statusCode).toBe(status);
    return ErrorBodySchema.parse(await response.body.json());
  }

  it('unknown channel → 404 not_found', async () => {
    const body = await expectError(`${cdn.url}/updates/nightly/latest.json`, 404);
    expect(body.error.code).toBe('not_found');
    expect(body.error.message).toContain('nightly');
  });

  it('unknown file on a known channel → 404; unknown route → 404; bad channel name → 400', async () => {
    await admin.publish({ channel: 'stable', version: '1.2.3', variant: 'valid', sizeBytes: 256 });
    await expectError(`${cdn.url}/updates/stable/MultiClaw_9.9.9_amd64.AppImage`, 404);
    await expectError(`${cdn.url}/downloads/stable`, 404);
    await expectError(`${cdn.url}/updates/..%2F..%2Fetc/latest.json`, 400);
  });

  it('admin refuses malformed releases with 400 naming the field', async () => {
    await expect(admin.publish({ channel: 'stable', version: 'one', variant: 'valid' })).rejects.toMatchObject({ status: 400 });
    await expect(admin.publish({ channel: 'stable', version: '1.0.0', variant: 'evil' as 'valid' })).rejects.toMatchObject({
      status: 400,
      message: expect.stringContaining('variant'),
    });
    await expect(admin.publish({ channel: 'stable', version: '1.0.0', variant: 'valid', sizeBytes: 1e12 })).rejects.toMatchObject(
      {
        status: 400,
      },
    );
  });
});

describe('service', () => {
  it('admin socket is mode 0600', async () => {
    expect((await stat(cdn.adminSocketPath)).mode & 0o777).toBe(0o600);
  });

  it('refuses TLS 1.1', async () => {
    expect((await opensslHandshake(cdn.port, '-tls1_1')).ok).toBe(false);
    expect((await opensslHandshake(cdn.port, '-tls1_2')).ok).toBe(true);
  });

  it('signs with a given key (made by the minisign CLI) and writes publicBaseUrl into manifests', async () => {
    await run('minisign', ['-G', '-W', '-p', 'given.pub', '-s', 'given.key'], { cwd: dir.path });
    const signingKey = parseMinisignSecretKey(await readFile(join(dir.path, 'given.key'), 'utf8'));
    const givenPub = await readFile(join(dir.path, 'given.pub'), 'utf8');
    await using other = await startCdn({
      tls: tls.tls,
      adminSocketPath: join(dir.path, 'other.sock'),
      publicBaseUrl: 'https://cdn.multiclaw.test/',
      signingKey,
    });
    await using otherAdmin = new CdnAdminClient(other.adminSocketPath);

    expect((await otherAdmin.publicKey()).split('\n')[1]).toBe(givenPub.split('\n')[1]);
    const release = await otherAdmin.publish({ channel: 'stable', version: '3.0.0', variant: 'valid', sizeBytes: 256 });
    expect(release.artifactUrl).toBe('https://cdn.multiclaw.test/updates/stable/MultiClaw_3.0.0_amd64.AppImage');
    const manifest = UpdateManifest.parse(JSON.parse((await get(`${other.url}/updates/stable/latest.json`)).bytes.toString()));
    const signature = minisigFromTauriSignature(manifest.platforms[LAB_PLATFORM]!.signature);
    expect(verifyMinisign(artifactBytes('3.0.0', 256), signature, givenPub).keyId).toBe(signingKey.keyId);
  });
});
