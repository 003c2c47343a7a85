import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock, Logger } from '@multiclaw-lab/kit';
import {
  LAB_PLATFORM,
  MinisignError,
  type MinisignErrorCode,
  minisigFromTauriSignature,
  UpdateManifest,
  verifyMinisign,
} from '@multiclaw-lab/protocol';
import type { Dispatcher } from 'undici';
import { fetch } from 'undici';
import { z } from 'zod';
import { ensurePrivateDir, writeFileAtomic } from './atomic-file.ts';
import { DesktopError, ServiceError } from './errors.ts';
import { MAX_JSON_BYTES, readLimited } from './http.ts';
import { mutant } from './mutant.ts';
import { usagePing } from './mutant-defects.ts';
import { isNewer } from './version.ts';

/** Why an update was refused. Everything but the transport is a reason to install nothing. */
export type UpdateRejectionCode = MinisignErrorCode | 'missing_signature' | 'no_platform' | 'malformed_manifest' | 'too_large';

export type UpdateCheckResult =
  | { status: 'up-to-date'; currentVersion: string; latestVersion: string }
  | { status: 'installed'; previousVersion: string; version: string; file: string; sha256: string; keyId: string }
  | { status: 'rejected'; currentVersion: string; version: string | null; code: UpdateRejectionCode; reason: string };

export interface UpdaterOptions {
  profileDir: string;
  /** base URL of the update CDN; the manifest is `<cdnUrl>/updates/<channel>/latest.json` */
  cdnUrl: URL;
  channel: string;
  /** the app's own version, as built */
  builtVersion: string;
  /** the minisign public key text (.pub file or its base64 line), built into the app */
  publicKey: string;
  dispatcher: Dispatcher;
  logger: Logger;
  clock: Clock;
  maxDownloadBytes?: number;
  onEvent?: (event: 'update.installed' | 'update.rejected' | 'update.none', fields: Record<string, unknown>) => void;
}

/** `<profile>/updates/current.json`: the version installed by the updater, used from the next start. */
const InstalledRecord = z.object({
  version: z.string().regex(/^\d+\.\d+\.\d+$/),
  file: z.string(),
  sha256: z.string(),
  keyId: z.string(),
  trustedComment: z.string(),
  installedAt: z.string(),
});

const DEFAULT_MAX_DOWNLOAD = 256 * 1024 * 1024;

class Rejection extends Error {
  readonly code: UpdateRejectionCode;
  constructor(code: UpdateRejectionCode, message: string) {
    super(message);
    this.code = code;
  }
}

/** A file name that is safe to create in the version folder, taken from the download URL. */
function fileNameFrom(url: URL): string {
  const last = decodeURIComponent(url.pathname.split('/').pop() ?? '');
  return /^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$/.test(last) ? last : 'update.bin';
}

/**
 * The Tauri-style updater: fetch the channel's manifest, and if it names a newer version, fetch
 * this platform's file, verify its minisign signature against the public key built into the app,
 * and only then write it under `<profile>/updates/<version>/` and record it as the current version.
 * Nothing is written before the signature has been verified.
 */
export class Updater {
  readonly #o: UpdaterOptions;

  constructor(options: UpdaterOptions) {
    this.#o = options;
  }

  get updatesDir(): string {
    return join(this.#o.profileDir, 'updates');
  }

  /** The version that runs: the newest of the built one and the one the updater installed. */
  async currentVersion(): Promise<string> {
    const installed = await this.installed();
    return installed && isNewer(installed.version, this.#o.builtVersion) ? installed.version : this.#o.builtVersion;
  }

  async installed(): Promise<z.infer<typeof InstalledRecord> | undefined> {
    try {
      const parsed = InstalledRecord.safeParse(JSON.parse(await readFile(join(this.updatesDir, 'current.json'), 'utf8')));
      return parsed.success ? parsed.data : undefined;
    } catch {
      return undefined;
    }
  }

  async check(): Promise<UpdateCheckResult> {
    const { logger } = this.#o;
    const currentVersion = await this.currentVersion();
    if (mutant('telemetry-ping')) await usagePing(this.#o.cdnUrl, currentVersion);
    const manifestUrl = new URL(`updates/${encodeURIComponent(this.#o.channel)}/latest.json`, withSlash(this.#o.cdnUrl));
    let manifest: UpdateManifest | undefined;
    try {
      manifest = await this.#fetchManifest(manifestUrl);
      if (!isNewer(manifest.version, currentVersion)) {
        logger.info({ event: 'update.none', currentVersion, latestVersion: manifest.version }, 'no newer version');
        this.#o.onEvent?.('update.none', { currentVersion, latestVersion: manifest.version });
        return { status: 'up-to-date', currentVersion, latestVersion: manifest.version };
      }
      return await this.#install(manifest, currentVersion);
    } catch (err) {
      if (!(err instanceof Rejection)) throw err;
      const fields = { currentVersion, version: manifest?.version ?? null, code: err.code, reason: err.message };
      logger.warn({ event: 'update.rejected', ...fields }, 'update refused; nothing installed');
      this.#o.onEvent?.('update.rejected', fields);
      return { status: 'rejected', ...fields };
    }
  }

  async #fetchManifest(url: URL): Promise<UpdateManifest> {
    const body = await this.#download(url, MAX_JSON_BYTES, 'update manifest');
    let json: unknown;
    try {
      json = JSON.parse(body.toString('utf8'));
    } catch {
      throw new Rejection('malformed_manifest', `${url.pathname} is not JSON`);
    }
    const parsed = UpdateManifest.safeParse(json);
    if (!parsed.success) {
      throw new Rejection('malformed_manifest', `${url.pathname} is not an update manifest: ${parsed.error.issues[0]?.message}`);
    }
    return parsed.data;
  }

  async #install(manifest: UpdateManifest, previousVersion: string): Promise<UpdateCheckResult> {
    const { logger } = this.#o;
    const platform = manifest.platforms[LAB_PLATFORM];
    if (!platform) throw new Rejection('no_platform', `version ${manifest.version} has no ${LAB_PLATFORM} build`);
    if (platform.signature.trim() === '' && !mutant('updater-skips-signature')) {
      throw new Rejection('missing_signature', `version ${manifest.version} is unsigned (empty signature)`);
    }
    const fileUrl = new URL(platform.url);
    const data = await this.#download(fileUrl, this.#o.maxDownloadBytes ?? DEFAULT_MAX_DOWNLOAD, 'update file');
    let verified: { trustedComment: string; keyId: string };
    try {
      verified = mutant('updater-skips-signature')
        ? { trustedComment: '', keyId: 'not-checked' }
        : verifyMinisign(data, minisigFromTauriSignature(platform.signature), this.#o.publicKey);
    } catch (err) {
      if (err instanceof MinisignError) throw new Rejection(err.code, err.message);
      throw err;
    }
    const versionDir = join(this.updatesDir, manifest.version);
    await ensurePrivateDir(versionDir);
    const file = join(versionDir, fileNameFrom(fileUrl));
    await writeFileAtomic(file, data, 0o700); // an installed app binary is executable by its owner
    const sha256 = createHash('sha256').update(data).digest('hex');
    const record: z.infer<typeof InstalledRecord> = {
      version: manifest.version,
      file,
      sha256,
      keyId: verified.keyId,
      trustedComment: verified.trustedComment,
      installedAt: new Date(this.#o.clock.now()).toISOString(),
    };
    await writeFileAtomic(join(this.updatesDir, 'current.json'), `${JSON.stringify(record, null, 2)}\n`);
    const fields = { previousVersion, version: manifest.version, file, sha256, keyId: verified.keyId };
    logger.info({ event: 'update.installed', ...fields }, 'update verified and installed');
    this.#o.onEvent?.('update.installed', fields);
    return { status: 'installed', ...fields };
  }

  async #download(url: URL, maxBytes: number, what: string): Promise<Buffer> {
    if (url.protocol !== 'https:') throw new Rejection('malformed_manifest', `${what} URL must be https, not ${url.protocol}`);
    const res = await fetch(url, { dispatcher: this.#o.dispatcher, redirect: 'follow' });
    if (!res.ok) {
      await res.body?.cancel().catch(() => undefined);
      throw new ServiceError('cdn', res.status, 'unexpected_response', `${what} ${url.pathname} could not be fetched`);
    }
    try {
      return await readLimited(res.body, maxBytes, `${what} ${url.pathname}`);
    } catch (err) {
      if (err instanceof DesktopError && err.code === 'too_large') throw new Rejection('too_large', err.message);
      throw err;
    }
  }
}

function withSlash(url: URL): URL {
  const copy = new URL(url);
  if (!copy.pathname.endsWith('/')) copy.pathname += '/';
  return copy;
}
