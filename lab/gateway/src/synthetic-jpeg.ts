import { createHash } from 'node:crypto';

/**
 * A deterministic stand-in for a screen capture: each frame is a tiny but valid baseline JPEG
 * (one 8×8 mid-grey block) whose comment segment (COM, 0xFFFE) carries the stream's canary
 * marker and the frame number. Same canary + same number → the same bytes, so a viewer can
 * check every frame byte for byte, and a capture at the relay can look for the canary.
 */

const SOI = [0xff, 0xd8];
const EOI = [0xff, 0xd9];
/** quantisation table 0: all ones (the only coefficient we encode is a zero DC) */
const DQT = [0xff, 0xdb, 0x00, 0x43, 0x00, ...new Array<number>(64).fill(1)];
/** baseline, 8-bit, 8×8, one component (grey) using table 0 */
const SOF0 = [0xff, 0xc0, 0x00, 0x0b, 0x08, 0x00, 0x08, 0x00, 0x08, 0x01, 0x01, 0x11, 0x00];
/** Huffman tables with a single 1-bit code "0": DC symbol 0 (difference 0), AC symbol 0 (end of block) */
const oneCodeTable = (classAndId: number) => [0xff, 0xc4, 0x00, 0x14, classAndId, 1, ...new Array<number>(15).fill(0), 0x00];
const DHT = [...oneCodeTable(0x00), ...oneCodeTable(0x10)];
/** one component, DC/AC tables 0, full spectral range */
const SOS = [0xff, 0xda, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3f, 0x00];
/** DC code "0" + EOB code "0", padded with ones: the block is all 128 */
const SCAN = [0x3f];

const HEAD = Buffer.from([...SOI]);
const TAIL = Buffer.from([...DQT, ...SOF0, ...DHT, ...SOS, ...SCAN, ...EOI]);

export function canaryComment(canary: string, frameNumber: number): string {
  return `${canary} frame=${frameNumber}`;
}

/** largest payload of one JPEG marker segment (its 2-byte length counts itself) */
const MAX_SEGMENT_PAYLOAD = 65_533;

/**
 * The JPEG for frame `frameNumber` of the stream marked `canary`. With `sizeBytes`, APP15
 * segments of deterministic pseudo-random bytes (decoders skip them) pad the frame to about that
 * size, so throughput is measured with frames the size of a real screen's.
 */
export function syntheticJpeg(canary: string, frameNumber: number, sizeBytes = 0): Buffer {
  const text = Buffer.from(canaryComment(canary, frameNumber), 'utf8');
  if (text.length > 65_000) throw new RangeError('the canary is too long for a JPEG comment');
  const length = text.length + 2;
  const com = Buffer.from([0xff, 0xfe, length >> 8, length & 0xff]);
  const parts = [HEAD, com, text];
  let missing = sizeBytes - (HEAD.length + com.length + text.length + TAIL.length);
  if (missing > 4) {
    const filler = createHash('shake256', { outputLength: missing }).update(`${canary}/${frameNumber}`).digest();
    let at = 0;
    while (missing > 4) {
      const payload = Math.min(missing - 4, MAX_SEGMENT_PAYLOAD);
      parts.push(Buffer.from([0xff, 0xef, (payload + 2) >> 8, (payload + 2) & 0xff]), filler.subarray(at, at + payload));
      at += payload;
      missing -= payload + 4;
    }
  }
  parts.push(TAIL);
  return Buffer.concat(parts);
}
