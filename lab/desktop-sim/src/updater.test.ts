import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createLabCA, type LabCA } from '@multiclaw-lab/pki';
import { LAB_PLATFORM, tauriSignatureFromMinisig } from '@multiclaw-lab/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDesktopApp } from './app.ts';
import { capturingLogger, tempDir } from './testing/helpers.ts';

const run = promisify(execFile);

/** A minisign key pair made by the Debian `minisign` CLI (unencrypted, -W), as the release team would. */
async function minisignKeys(dir: string): Promise<{ pub: string; sec: string; pubText: string }> {
  const pub = join(dir, 'minisign.pub');
  const sec = join(dir, 'minisign.key');
  await run('minisign', ['-G', '-W', '-p', pub, '-s', sec]);
  return { pub, sec, pubText: await readFile(pub, 'utf8') };
}

/** Signs `file` with the CLI and returns the manifest's signature field (base64 of the .minisig text). */
async function sign(sec: string, file: string): Promise<string> {
  await run('minisign', ['-S', '-s', sec, '-m', file, '-t', 'MultiClaw release']);
  return tauriSignatureFromMinisig(await readFile(`${file}.minisig`, 'utf8'));
}

/** A stand-in update CDN: static HTTPS files, with a count of downloads per path. */
class StandInCdn {
  readonly files = new Map<string, Buffer>();
  readonly hits: string[] = [];
  server!: Server;
  url!: string;
  static async start(ca: LabCA): Promise<StandInCdn> {
    const cdn = new StandInCdn();
    const leaf = await ca.issue(['localhost', '127.0.0.1']);
    cdn.server = createServer({ cert: leaf.chainPem, key: leaf.keyPem }, (req, res) => {
      cdn.hits.push(req.url ?? '');
      const body = cdn.files.get(req.url ?? '');
      if (!body) return void res.writeHead(404).end();
      res.writeHead(200).end(body);
    });
    cdn.server.listen(0, '127.0.0.1');
    await once(cdn.server, 'listening');
    cdn.url = `https://127.0.0.1:${(cdn.server.address() as AddressInfo).port}`;
    return cdn;
  }
  publish(channel: string, version: string, file: string, signature: string): void {
    this.files.set(
      `/updates/${channel}/latest.json`,
      Buffer.from(
        JSON.stringify({
          version,
          notes: 'lab release',
          pub_date: '2026-03-31T00:00:00Z',
          platforms: { [LAB_PLATFORM]: { url: `${this.url}${file}`, signature } },
        }),
      ),
    );
  }
  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

describe('updater: minisign-verified updates', () => {
  let ca: LabCA;
  let cdn: StandInCdn;
  let keys: { pub: string; sec: string; pubText: string };
  let otherKeys: { pub: string; sec: string; pubText: string };
  let work: string;
  const release = Buffer.from('#!/bin/sh\necho "MultiClaw 1.1.0"\n');

  beforeAll(async () => {
    ca = await createLabCA();
    cdn = await StandInCdn.start(ca);
    work = await tempDir('updates');
    keys = await minisignKeys(await tempDir('keys'));
    otherKeys = await minisignKeys(await tempDir('other-keys'));
  });
  afterAll(async () => {
    await cdn.close();
  });

  async function app(channel: string) {
    const { logger, lines } = capturingLogger();
    const profileDir = await tempDir('profile');
    const desktop = await createDesktopApp({
      profileDir,
      cloudUrl: 'https://127.0.0.1:9', // never contacted by the updater
      cdnUrl: cdn.url,
      updateChannel: channel,
      updatePublicKey: keys.pubText,
      version: '1.0.0',
      ca: ca.certPem,
      logger,
    });
    return { desktop, profileDir, lines };
  }

  async function publishSigned(channel: string, version: string, data: Buffer, signer = keys.sec) {
    const name = `multiclaw-${channel}-${version}.bin`;
    const path = join(work, name);
    await writeFile(path, data);
    const signature = await sign(signer, path);
    cdn.files.set(`/files/${name}`, data);
    cdn.publish(channel, version, `/files/${name}`, signature);
    return name;
  }

  const installedFiles = async (profileDir: string) => readdir(join(profileDir, 'updates')).catch(() => [] as string[]);

  it('installs a newer release whose signature verifies, and records it as the current version', async () => {
    const name = await publishSigned('valid', '1.1.0', release);
    const { desktop, profileDir } = await app('valid');
    await using _ = desktop;
    const installed = once(desktop, 'update.installed');
    const result = await desktop.checkForUpdate();
    expect(result).toMatchObject({ status: 'installed', previousVersion: '1.0.0', version: '1.1.0' });
    await installed;
    expect(await readFile(join(profileDir, 'updates', '1.1.0', name))).toEqual(release);
    expect(await desktop.currentVersion()).toBe('1.1.0');
    expect(await desktop.checkForUpdate()).toMatchObject({ status: 'up-to-date', currentVersion: '1.1.0' });
  });

  it('refuses a tampered file: bad_signature, nothing installed', async () => {
    const name = await publishSigned('tampered', '1.1.0', release);
    cdn.files.set(`/files/${name}`, Buffer.from(release.toString().replace('1.1.0', '6.6.6')));
    const { desktop, profileDir, lines } = await app('tampered');
    await using _ = desktop;
    const rejected = once(desktop, 'update.rejected');
    expect(await desktop.checkForUpdate()).toMatchObject({ status: 'rejected', version: '1.1.0', code: 'bad_signature' });
    expect((await rejected)[0]).toMatchObject({ code: 'bad_signature' });
    expect(await installedFiles(profileDir)).toEqual([]);
    expect(await desktop.currentVersion()).toBe('1.0.0');
    expect(lines.some((l) => l.includes('"event":"update.rejected"') && l.includes('"code":"bad_signature"'))).toBe(true);
  });

  it('refuses an unsigned release: missing_signature, and does not even download it', async () => {
    await publishSigned('unsigned', '1.1.0', release);
    cdn.publish('unsigned', '1.1.0', '/files/multiclaw-unsigned-1.1.0.bin', '');
    const { desktop, profileDir } = await app('unsigned');
    await using _ = desktop;
    expect(await desktop.checkForUpdate()).toMatchObject({ status: 'rejected', code: 'missing_signature' });
    expect(await installedFiles(profileDir)).toEqual([]);
    expect(cdn.hits).not.toContain('/files/multiclaw-unsigned-1.1.0.bin');
  });

  it('refuses a release signed with another key: key_mismatch, nothing installed', async () => {
    await publishSigned('wrong-key', '1.1.0', release, otherKeys.sec);
    const { desktop, profileDir } = await app('wrong-key');
    await using _ = desktop;
    expect(await desktop.checkForUpdate()).toMatchObject({ status: 'rejected', code: 'key_mismatch' });
    expect(await installedFiles(profileDir)).toEqual([]);
  });

  it('refuses a signature that is not minisign at all', async () => {
    await publishSigned('garbage', '1.1.0', release);
    cdn.publish('garbage', '1.1.0', '/files/multiclaw-garbage-1.1.0.bin', Buffer.from('hello').toString('base64'));
    const { desktop, profileDir } = await app('garbage');
    await using _ = desktop;
    expect(await desktop.checkForUpdate()).toMatchObject({ status: 'rejected', code: 'malformed_signature' });
    expect(await installedFiles(profileDir)).toEqual([]);
  });

  it('does nothing when the published version is not newer', async () => {
    await publishSigned('old', '0.9.0', release);
    const { desktop, profileDir } = await app('old');
    await using _ = desktop;
    const hits = cdn.hits.length;
    expect(await desktop.checkForUpdate()).toEqual({ status: 'up-to-date', currentVersion: '1.0.0', latestVersion: '0.9.0' });
    expect(cdn.hits.slice(hits)).toEqual(['/updates/old/latest.json']);
    expect(await installedFiles(profileDir)).toEqual([]);
  });
});
