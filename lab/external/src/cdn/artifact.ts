import { createHash } from 'node:crypto';
import { LAB_PLATFORM } from '@multiclaw-lab/protocol';

/** Tauri v2's Linux updater bundle name, so the files look like what the real CDN serves. */
export function artifactFileName(version: string): string {
  return `MultiClaw_${version}_amd64.AppImage`;
}

/**
 * A stand-in update of exactly `sizeBytes`: a header naming the version, then filler from a
 * SHA-256 counter stream. Deterministic, so a scenario can recompute what it should receive.
 */
export function artifactBytes(version: string, sizeBytes: number): Buffer {
  const header = Buffer.from(`MultiClaw lab update ${version} for ${LAB_PLATFORM}\n`, 'utf8');
  const out = Buffer.alloc(sizeBytes);
  header.copy(out, 0, 0, Math.min(header.length, sizeBytes));
  for (let offset = header.length, block = 0; offset < sizeBytes; block += 1) {
    const chunk = createHash('sha256').update(`${version}:${block}`).digest();
    offset += chunk.copy(out, offset);
  }
  return out;
}

/** What a man in the middle (or a corrupted mirror) serves: the same length, one byte changed past the header. */
export function tamperedCopy(bytes: Buffer): Buffer {
  const copy = Buffer.from(bytes);
  const at = Math.floor(copy.length / 2);
  copy[at] = copy[at]! ^ 0xff;
  return copy;
}
