import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createLogger, type Logger } from '@multiclaw-lab/kit';
import { createDesktopApp, type DesktopApp, type DesktopAppOptions } from '../app.ts';
import type { StandInCloud } from './stand-in-cloud.ts';

/** A logger whose JSON lines are kept in memory, so tests can follow events and scan for secrets. */
export function capturingLogger(): { logger: Logger; lines: string[]; events: () => Array<Record<string, unknown>> } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, callback) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      callback();
    },
  });
  const logger = createLogger({ service: 'desktop-sim', destination, level: 'debug' });
  return { logger, lines, events: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

export async function tempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `${prefix}-`));
}

export interface TestApp {
  app: DesktopApp;
  profileDir: string;
  lines: string[];
}

/** A desktop app pointed at a stand-in cloud, trusting only its CA, with quick backoff. */
export async function appFor(cloud: StandInCloud, extra: Partial<DesktopAppOptions> = {}): Promise<TestApp> {
  const { logger, lines } = capturingLogger();
  const profileDir = extra.profileDir ?? (await tempDir('desk-profile'));
  const app = await createDesktopApp({
    cloudUrl: cloud.url,
    ca: cloud.ca.certPem,
    backoff: { baseMs: 10, capMs: 100 },
    logger,
    ...extra,
    profileDir,
  });
  return { app, profileDir, lines };
}
