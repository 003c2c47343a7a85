import { createHash } from 'node:crypto';
import {
  LAB_PLATFORM,
  type MinisignSecretKey,
  signMinisign,
  tauriSignatureFromMinisig,
  UpdateManifest,
} from '@multiclaw-lab/protocol';
import { DEFAULT_ARTIFACT_BYTES, type PublishReleaseRequest, type ReleaseView } from './admin-api.ts';
import { artifactBytes, artifactFileName, tamperedCopy } from './artifact.ts';

export interface ServedFile {
  bytes: Buffer;
  contentType: string;
}

interface Channel {
  manifest: UpdateManifest;
  files: Map<string, ServedFile>;
  releases: Map<string, ReleaseView>;
}

export interface ReleaseSigners {
  /** the CDN's own key: its public half is what the desktop app has built in */
  own: MinisignSecretKey;
  /** a key nobody trusts, for `wrong-key` releases */
  stranger: MinisignSecretKey;
}

/**
 * The CDN's content, in memory: per channel, the latest manifest and every file ever published
 * (older versions stay downloadable, as on a real CDN). The latest release is the one published
 * last, whatever its version number: a scenario may publish a downgrade on purpose.
 */
export class ReleaseStore {
  readonly #channels = new Map<string, Channel>();
  readonly #signers: ReleaseSigners;
  readonly #publicBaseUrl: () => string;

  constructor(signers: ReleaseSigners, publicBaseUrl: () => string) {
    this.#signers = signers;
    this.#publicBaseUrl = publicBaseUrl;
  }

  publish(request: PublishReleaseRequest, now: Date): ReleaseView {
    const fileName = artifactFileName(request.version);
    const signed = artifactBytes(request.version, request.sizeBytes ?? DEFAULT_ARTIFACT_BYTES);
    const served = request.variant === 'tampered' ? tamperedCopy(signed) : signed;
    const signer =
      request.variant === 'wrong-key' ? this.#signers.stranger : request.variant === 'unsigned' ? null : this.#signers.own;
    // minisign's own trusted comment for a prehashed signature of a named file
    const trustedComment = `timestamp:${Math.floor(now.getTime() / 1000)}\tfile:${fileName}\thashed`;
    const signature = signer ? signMinisign(signed, signer, { trustedComment }) : null;

    const base = `${this.#publicBaseUrl()}/updates/${request.channel}`;
    const manifest = UpdateManifest.parse({
      version: request.version,
      notes: request.notes ?? '',
      pub_date: now.toISOString(),
      platforms: {
        [LAB_PLATFORM]: { url: `${base}/${fileName}`, signature: signature ? tauriSignatureFromMinisig(signature) : '' },
      },
    });

    const channel = this.#channel(request.channel, manifest);
    channel.manifest = manifest;
    channel.files.set(fileName, { bytes: served, contentType: 'application/octet-stream' });
    if (signature) channel.files.set(`${fileName}.minisig`, { bytes: Buffer.from(signature, 'utf8'), contentType: 'text/plain' });
    else channel.files.delete(`${fileName}.minisig`);

    const view: ReleaseView = {
      channel: request.channel,
      version: request.version,
      variant: request.variant,
      manifestUrl: `${base}/latest.json`,
      artifactUrl: `${base}/${fileName}`,
      signatureUrl: signature ? `${base}/${fileName}.minisig` : null,
      sha256: createHash('sha256').update(served).digest('hex'),
      sizeBytes: served.length,
      signedBy: signer?.keyId ?? null,
    };
    channel.releases.set(request.version, view);
    return view;
  }

  manifest(channel: string): UpdateManifest | undefined {
    return this.#channels.get(channel)?.manifest;
  }

  file(channel: string, fileName: string): ServedFile | undefined {
    return this.#channels.get(channel)?.files.get(fileName);
  }

  releases(): ReleaseView[] {
    return [...this.#channels.values()].flatMap((c) => [...c.releases.values()]);
  }

  #channel(name: string, manifest: UpdateManifest): Channel {
    let channel = this.#channels.get(name);
    if (!channel) {
      channel = { manifest, files: new Map(), releases: new Map() };
      this.#channels.set(name, channel);
    }
    return channel;
  }
}
