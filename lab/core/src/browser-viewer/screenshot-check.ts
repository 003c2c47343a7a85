import type { Page } from 'playwright-core';

/** What a screenshot of the viewer's canvas shows, decoded by Chromium itself (no PNG library of ours). */
export interface ScreenshotCheck {
  width: number;
  height: number;
  /** share of pixels that are the synthetic frame's mid-grey (the JPEG is one 8×8 block of 128) */
  frameShare: number;
  /** share of pixels still the canvas's black background (nothing drawn there) */
  blackShare: number;
}

/** The synthetic frame decodes to luma 128; JPEG rounding and colour conversion move it a little. */
const GREY = 128;
const TOLERANCE = 6;

/**
 * Decodes `png` in `page` (createImageBitmap → OffscreenCanvas → getImageData) and counts the
 * pixels that are the frame's grey and those that are the empty canvas's black.
 */
export async function checkScreenshot(page: Page, png: Buffer): Promise<ScreenshotCheck> {
  // browser code as text: this package compiles without the DOM library
  const decode = `async ({ base64, grey, tolerance }) => {
    const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    const bitmap = await createImageBitmap(new Blob([bytes], { type: 'image/png' }));
    const g = new OffscreenCanvas(bitmap.width, bitmap.height).getContext('2d');
    g.drawImage(bitmap, 0, 0);
    const { data } = g.getImageData(0, 0, bitmap.width, bitmap.height);
    let frame = 0;
    let black = 0;
    for (let i = 0; i < data.length; i += 4) {
      const rgb = [data[i], data[i + 1], data[i + 2]];
      if (rgb.every((v) => Math.abs(v - grey) <= tolerance)) frame += 1;
      if (rgb[0] + rgb[1] + rgb[2] === 0) black += 1;
    }
    const pixels = data.length / 4;
    return { width: bitmap.width, height: bitmap.height, frameShare: frame / pixels, blackShare: black / pixels };
  }`;
  const arg = { base64: png.toString('base64'), grey: GREY, tolerance: TOLERANCE };
  return page.evaluate(`(${decode})(${JSON.stringify(arg)})`) as Promise<ScreenshotCheck>;
}
