import { describe, expect, it } from 'vitest';
import { syntheticJpeg } from './synthetic-jpeg.ts';

/** Walks the marker segments up to SOS: a decoder does the same, so a broken length shows here. */
function segments(jpeg: Buffer): number[] {
  const markers: number[] = [];
  let at = 2;
  while (at < jpeg.length) {
    expect(jpeg[at]).toBe(0xff);
    const marker = jpeg[at + 1]!;
    markers.push(marker);
    if (marker === 0xda) break;
    at += 2 + jpeg.readUInt16BE(at + 2);
  }
  return markers;
}

describe('synthetic JPEG frames', () => {
  it('tiny by default, padded to about the asked size with skippable APP15 segments', () => {
    const tiny = syntheticJpeg('MCLAB-CANARY-test', 7);
    const big = syntheticJpeg('MCLAB-CANARY-test', 7, 150_000);
    expect(tiny.length).toBeLessThan(300);
    expect(big.length).toBeGreaterThan(149_990);
    expect(big.length).toBeLessThanOrEqual(150_000);
    for (const jpeg of [tiny, big]) {
      expect(jpeg.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
      expect(jpeg.subarray(-2)).toEqual(Buffer.from([0xff, 0xd9]));
    }
    expect(segments(tiny)).toEqual([0xfe, 0xdb, 0xc0, 0xc4, 0xc4, 0xda]);
    expect(segments(big).filter((m) => m === 0xef)).toHaveLength(3);
  });

  it('the same canary and number give the same bytes; the canary appears once, in the comment', () => {
    const a = syntheticJpeg('MCLAB-CANARY-abc', 3, 20_000);
    expect(syntheticJpeg('MCLAB-CANARY-abc', 3, 20_000).equals(a)).toBe(true);
    expect(syntheticJpeg('MCLAB-CANARY-abc', 4, 20_000).equals(a)).toBe(false);
    expect(a.toString('latin1').split('MCLAB-CANARY-abc')).toHaveLength(2);
  });
});
