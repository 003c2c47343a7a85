/**
 * Run by browser-viewer.test.ts INSIDE a private network namespace (`ip netns exec`): the loopback
 * stack with a real coturn, a cloud desktop's daemon streaming over WebRTC, and the browser viewer
 * (real Chromium) opening it in each mode. Prints one JSON line per mode on stdout:
 * `{"run":…,"result":{…}}` or `{"run":…,"error":"…"}`.
 * Usage: node browser-viewer-loopback.ts DIR [RUNS], RUNS like `auto,turn-relay,auto:1` (mode[:directTimeoutMs]).
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { localRunner } from '@multiclaw-lab/infra';
import { routes, signUpAndIn } from '@multiclaw-lab/protocol';
import { BROWSER_VIEWER_ORIGIN, type BrowserViewMode, openBrowserViewer } from '../src/browser-viewer/open.ts';
import { CloudApi } from '../src/cloud-api.ts';
import { LoopbackStack } from '../src/loopback-stack.ts';

const dir = process.argv[2];
if (!dir) throw new Error('usage: browser-viewer-loopback.ts DIR');
const runs = (process.argv[3] ?? 'auto,turn-relay').split(',').map((run) => {
  const [mode, direct] = run.split(':');
  return { run, mode: mode as BrowserViewMode, directTimeoutMs: direct ? Number(direct) : undefined };
});

await using stack = await LoopbackStack.start({
  dir: join(dir, 'stack'),
  turn: true,
  cloudEnv: { CLOUD_CORS_ORIGINS: BROWSER_VIEWER_ORIGIN },
});
const api = new CloudApi(stack.cloudUrl, stack.ca.certPem);
try {
  const email = `viewer-${randomBytes(3).toString('hex')}@example.test`;
  const password = `pw-${randomBytes(12).toString('base64url')}`;
  const { bearer } = await signUpAndIn(api, { email, password, name: 'Viewer' });
  const ws = await api.request(routes.createWorkspace, { credential: bearer, body: { name: 'Viewer workspace' } });
  const created = await api.request(routes.createInstance, { credential: bearer, params: { wid: ws.id }, body: { name: 'cd1' } });
  const daemon = await stack.startGateway('cd1', {
    mode: 'daemon',
    provision: {
      cloudUrl: stack.cloudUrl,
      workspaceId: ws.id,
      instanceId: created.instance.id,
      instanceToken: created.instanceToken,
    },
    env: { GATEWAY_SCREEN_STREAMER: 'webrtc', GATEWAY_TURN_TRANSPORT: 'none', GATEWAY_WEBRTC_HOST_ADDRESSES: '127.0.0.1' },
  });
  await daemon.process.waitForLog({ event: 'ws.welcome' });

  for (const { run, mode, directTimeoutMs } of runs) {
    try {
      await using viewer = await openBrowserViewer({
        host: { runner: localRunner },
        cloudUrl: stack.cloudUrl,
        bearer,
        instanceId: created.instance.id,
        mode,
        caPem: stack.ca.certPem,
        dir: join(dir, run.replace(':', '-')),
        frames: 10,
        timeoutMs: 45_000,
        ...(directTimeoutMs ? { directTimeoutMs } : {}),
      });
      const { close: _close, [Symbol.asyncDispose]: _dispose, ...result } = viewer;
      const inputs = daemon.process.jsonLines().filter((l) => l.event === 'rtc.input.rejected').length;
      console.log(JSON.stringify({ run, result: { ...result, inputsRejected: inputs } }));
    } catch (err) {
      console.log(JSON.stringify({ run, error: (err as Error).message }));
    }
  }
} finally {
  await api.close();
}
