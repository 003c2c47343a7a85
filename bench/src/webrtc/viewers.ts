import { join } from 'node:path';
import type { LoopbackStack } from '@multiclaw-lab/core';
import { createDesktopApp, type DesktopApp } from '@multiclaw-lab/desktop-sim';
import { createLogger } from '@multiclaw-lab/kit';

/**
 * Viewers are desktop apps in this process (`createDesktopApp` from @multiclaw-lab/desktop-sim):
 * each signed in on its own, with its own real-time WSS to the cloud, viewing through the app's
 * own `viewCloudDesktop`. They share this process's event loop; the bench reports its CPU.
 */
export async function startViewers(
  stack: LoopbackStack,
  account: { email: string; password: string },
  count: number,
): Promise<DesktopApp[]> {
  // the apps' own lines would drown the bench's progress: warnings and errors only
  const logger = createLogger({ service: 'bench-viewer', level: 'warn' });
  const apps: DesktopApp[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const app = await createDesktopApp({
        profileDir: join(stack.dir, 'hosts', `viewer-${i}`, 'profile'),
        cloudUrl: stack.cloudUrl,
        ca: stack.ca.certPem,
        webrtcHostAddresses: ['127.0.0.1'],
        logger,
      });
      apps.push(app);
      await app.signIn(account.email, account.password);
      await app.connect();
    }
    return apps;
  } catch (err) {
    await Promise.allSettled(apps.map((a) => a.close()));
    throw err;
  }
}
