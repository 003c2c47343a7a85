/**
 * The browser viewer: the page in this folder, served inside a host and opened by a real headless
 * Chromium in that same host, connecting through the cloud's signalling and coturn like the
 * product's WebView client would.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type HostRunner, startService } from '@multiclaw-lab/infra';
import { LabError, type ProcessHandle } from '@multiclaw-lab/kit';
import type { BrowserContext, Page } from 'playwright-core';
import type { Lab } from '../lab/lab.ts';
import { launchChromium } from './chromium.ts';
import { BROWSER_VIEWER_ORIGIN, BROWSER_VIEWER_PORT } from './origin.ts';
import { checkScreenshot, type ScreenshotCheck } from './screenshot-check.ts';

export type BrowserViewMode = 'auto' | 'turn-relay';

/** Where the page server and the browser run: a lab host (its in-host command prefix) or this process's own network. */
export interface BrowserHost {
  runner: HostRunner;
  inHost?: string[] | undefined;
}

export function labBrowserHost(lab: Lab, hostId: string): BrowserHost {
  const inHost = lab.driver.inHostArgv(hostId);
  if (!inHost)
    throw new LabError('LAB_UNSUPPORTED', `the ${lab.driver.name} driver cannot run a browser inside host ${hostId}`, {
      hint: 'run the browser scenarios on a driver that can (netns)',
    });
  return { runner: lab.runner(hostId), inHost };
}

export interface OpenBrowserViewerOptions {
  host: BrowserHost;
  /** the cloud as the browser reaches it, e.g. https://api.multiclaw.test */
  cloudUrl: string;
  /** the signed-in user's bearer: handed to the page in the URL fragment only */
  bearer: string;
  instanceId: string;
  mode: BrowserViewMode;
  /** the CA the browser trusts for the cloud and coturn (the lab CA) */
  caPem: string;
  /** the screenshot and the browser console log go here (kept); the browser profile too (removed on close) */
  dir: string;
  /** frames to wait for before the screenshot; default 20 */
  frames?: number;
  /** connecting plus the frames; default 60 s */
  timeoutMs?: number;
  /** auto: how long the direct (STUN only) attempt may take before the TURN/UDP one; default 4 s */
  directTimeoutMs?: number;
}

/** The ICE path the browser selected (from getStats), as the page reports it. */
export interface BrowserPair {
  /** host | srflx | prflx | relay */
  local: string | null;
  remote: string | null;
  /** udp | tcp: the transport of the local candidate */
  protocol: string | null;
  /** how a relay candidate reaches its TURN server: udp | tcp | tls */
  relayProtocol: string | null;
  localAddress: string | null;
  remoteAddress: string | null;
}

interface ViewerState {
  state: string;
  frames: number;
  bytes: number;
  firstFrameAt: number | null;
  lastFrameAt: number | null;
  pair: BrowserPair | null;
  connectMs: number | null;
  sessionId: string | null;
  attempt: 'direct' | 'relay' | null;
  failedAttempts: Array<{ attempt: string; error: string }>;
  inputSent: boolean;
  error: string | null;
}

export interface BrowserViewer extends AsyncDisposable {
  /** from the first offer to the open DataChannel (auto: a failed direct attempt included) */
  connectMs: number;
  frames: number;
  bytes: number;
  /** between the first and the last frame counted */
  framesPerSecond: number;
  bytesPerSecond: number;
  pair: BrowserPair | null;
  /** the viewing session that connected, as the cloud and the cloud desktop log it */
  sessionId: string;
  /** which attempt connected: direct (STUN only) or relay (a TURN URL) */
  attempt: 'direct' | 'relay';
  failedAttempts: Array<{ attempt: string; error: string }>;
  inputSent: boolean;
  screenshotPath: string;
  screenshot: ScreenshotCheck;
  consoleLogPath: string;
  close(): Promise<void>;
}

const PAGE_SERVER = join(import.meta.dirname, 'page-server.ts');
/** a screenshot "shows a frame" when the canvas is (nearly) all the frame's grey */
const MIN_FRAME_SHARE = 0.9;

export { BROWSER_VIEWER_ORIGIN, BROWSER_VIEWER_PORT };

export async function openBrowserViewer(options: OpenBrowserViewerOptions): Promise<BrowserViewer> {
  const frames = options.frames ?? 20;
  const timeoutMs = options.timeoutMs ?? 60_000;
  await mkdir(options.dir, { recursive: true });
  const consoleLogPath = join(options.dir, `browser-console-${options.mode}.log`);
  const consoleLines: string[] = [];
  let server: ProcessHandle | undefined;
  let context: BrowserContext | undefined;
  let page: Page | undefined;

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      await page?.evaluate('window.viewerClose?.()').catch(() => undefined);
      await context?.close().catch(() => undefined);
      await server?.stop(3_000);
      // the profile is only the browser's scratch space; the screenshot and the console log stay
      await rm(join(options.dir, 'chromium'), { recursive: true, force: true });
      await writeFile(consoleLogPath, consoleLines.join('\n')).catch(() => undefined);
    })();
    return closing;
  };

  try {
    server = await startService({
      runner: options.host.runner,
      name: 'browser-viewer-page',
      command: process.execPath,
      args: ['--no-warnings', PAGE_SERVER, String(BROWSER_VIEWER_PORT)],
      env: { PATH: process.env.PATH, LANG: 'C.UTF-8', LOG_LEVEL: 'info' },
      isReady: (line) => line.json?.event === 'ready',
    });
    context = await launchChromium({
      dir: join(options.dir, 'chromium'),
      inHost: options.host.inHost,
      caPem: options.caPem,
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('console', (m) => consoleLines.push(`${new Date().toISOString()} ${m.type()} ${m.text()}`));
    page.on('pageerror', (e) => consoleLines.push(`${new Date().toISOString()} pageerror ${e.message}`));

    const fragment = new URLSearchParams({
      cloud: options.cloudUrl,
      bearer: options.bearer,
      instance: options.instanceId,
      mode: options.mode,
      connectTimeoutMs: String(timeoutMs),
      ...(options.directTimeoutMs ? { directTimeoutMs: String(options.directTimeoutMs) } : {}),
    });
    // playwright's errors quote the URL: never let the fragment (the bearer) into one
    await page.goto(`${BROWSER_VIEWER_ORIGIN}/#${fragment}`, { waitUntil: 'load' }).catch((err: Error) => {
      throw new LabError('LAB_BROWSER_VIEWER', `the browser could not load the viewer page from ${BROWSER_VIEWER_ORIGIN}`, {
        cause: new Error(err.message.replaceAll(fragment.toString(), '…')),
      });
    });
    await page
      .waitForFunction(`window.viewerState?.frames >= ${frames} || window.viewerState?.state === 'failed'`, undefined, {
        timeout: timeoutMs,
      })
      .catch(() => undefined);
    const state = (await page.evaluate('window.viewerState')) as ViewerState;
    if (state.state === 'failed' || state.frames < frames || state.connectMs === null || !state.attempt || !state.sessionId) {
      throw new LabError(
        'LAB_BROWSER_VIEWER',
        `the browser viewer (${options.mode}) got ${state.frames} of ${frames} frames within ${timeoutMs} ms: ${state.error ?? state.state}` +
          (state.failedAttempts.length ? `; failed attempts: ${JSON.stringify(state.failedAttempts)}` : ''),
        { hint: `see the browser console in ${consoleLogPath}` },
      );
    }

    const screenshotPath = join(options.dir, `screen-${options.mode}.png`);
    const png = await page.locator('#screen').screenshot({ path: screenshotPath });
    const screenshot = await checkScreenshot(page, png);
    if (screenshot.frameShare < MIN_FRAME_SHARE) {
      throw new LabError(
        'LAB_BROWSER_VIEWER',
        `the canvas screenshot does not show a frame: ${(screenshot.frameShare * 100).toFixed(1)}% frame grey, ${(screenshot.blackShare * 100).toFixed(1)}% black`,
        { hint: `look at ${screenshotPath}` },
      );
    }
    const seconds = ((state.lastFrameAt ?? 0) - (state.firstFrameAt ?? 0)) / 1000;
    return {
      connectMs: state.connectMs,
      frames: state.frames,
      bytes: state.bytes,
      framesPerSecond: seconds > 0 ? (state.frames - 1) / seconds : 0,
      // the interval starts at the first frame: leave its bytes out (frames are about equal in size)
      bytesPerSecond: seconds > 0 ? (state.bytes * (state.frames - 1)) / state.frames / seconds : 0,
      pair: state.pair,
      sessionId: state.sessionId,
      attempt: state.attempt,
      failedAttempts: state.failedAttempts,
      inputSent: state.inputSent,
      screenshotPath,
      screenshot,
      consoleLogPath,
      close,
      [Symbol.asyncDispose]: close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
