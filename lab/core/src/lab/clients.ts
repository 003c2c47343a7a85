/**
 * The lab's clients, whoever runs the cloud: on each desktop host a local gateway and a desktop
 * simulator, on each cloud desktop a daemon gateway provisioned through the cloud's API, and the
 * desktops signed in with their gateways linked. `lab up` starts them next to the services it
 * runs itself; attaching to a deployed stack starts them on the stack's instances.
 */
import type { Host } from '@multiclaw-lab/network';
import { routes } from '@multiclaw-lab/protocol';
import type { CloudApi } from '../cloud-api.ts';
import type { HostFiles } from './definitions.ts';
import { desktopDef, gatewayDef } from './definitions.ts';
import type { ScreenSettings } from './lab.ts';
import type { DemoWorkspace } from './provision.ts';
import type { ServiceRegistry } from './registry.ts';
import type { RunOptions } from './service.ts';

export interface ClientsContext {
  registry: ServiceRegistry;
  files: (hostId: string) => HostFiles;
  logLevel: string;
  progress: (phase: string, detail: string) => void;
}

/** Each desktop host's gateway and desktop simulator, side by side (the app reads its gateway's files only when it links it). */
export async function startDesktopApps(
  ctx: ClientsContext,
  hosts: Host[],
  updatePublicKey: () => Promise<string>,
  options: RunOptions = {},
): Promise<void> {
  await Promise.all(
    hosts.map(async (host) => {
      ctx.progress('services', `gateway and desktop simulator on ${host.id}`);
      const files = ctx.files(host.id);
      const startDesktop = async () => {
        // the app is built with the update key the CDN signs with
        const key = await updatePublicKey();
        await ctx.registry.start(
          desktopDef({ id: `${host.id}-desktop`, host: host.id, files, updatePublicKey: key, logLevel: ctx.logLevel }),
          options,
        );
      };
      await Promise.all([
        ctx.registry.start(gatewayDef({ id: `${host.id}-gateway`, host: host.id, files, logLevel: ctx.logLevel }), options),
        startDesktop(),
      ]);
    }),
  );
}

/**
 * A cloud desktop per host: the instance is created in the demo workspace, and its daemon
 * gateway started with the instance token, streaming the screen over WebRTC. Records each
 * host's instance id in `instances`.
 */
export async function startCloudDesktops(
  ctx: ClientsContext,
  hosts: Host[],
  api: CloudApi,
  demo: DemoWorkspace,
  screen: ScreenSettings,
  instances: Map<string, string>,
): Promise<void> {
  const owner = demo.accounts[0]!;
  await Promise.all(
    hosts.map(async (host) => {
      ctx.progress('services', `daemon gateway on cloud desktop ${host.id}`);
      const created = await api.request(routes.createInstance, {
        credential: owner.bearer,
        params: { wid: demo.workspaceId },
        body: { name: host.id },
      });
      instances.set(host.id, created.instance.id);
      const daemon = await ctx.registry.start(
        gatewayDef({
          id: `${host.id}-daemon`,
          host: host.id,
          files: ctx.files(host.id),
          logLevel: ctx.logLevel,
          provision: { workspaceId: demo.workspaceId, instanceId: created.instance.id, instanceToken: created.instanceToken },
          // the screen over WebRTC; a cloud desktop has a public address, so STUN only: the
          // viewer's TURN allocation carries the stream when a direct path is impossible
          env: {
            GATEWAY_SCREEN_STREAMER: 'webrtc',
            GATEWAY_TURN_TRANSPORT: 'none',
            GATEWAY_SCREEN_FPS: String(screen.framesPerSecond),
            GATEWAY_SCREEN_FRAME_BYTES: String(screen.frameBytes),
            GATEWAY_SCREEN_CANARY: screen.canary,
          },
        }),
      );
      // its health is the cloud listing it as connected, which follows the welcome
      await daemon.handle.waitForLog({ event: 'ws.welcome' }, 30_000);
    }),
  );
}

/** Each desktop signs in as its demo account, connects, and links its host's gateway to the workspace. */
export async function signInDesktops(ctx: ClientsContext, hosts: Host[], demo: DemoWorkspace): Promise<void> {
  await Promise.all(
    hosts.map(async (host) => {
      const account = demo.accounts.find((a) => a.host === host.id)!;
      const desktop = ctx.registry.desktop(host.id);
      ctx.progress('provision', `${host.id}: sign in as ${account.email}, connect, link the gateway`);
      await desktop.call('signIn', { email: account.email, password: account.password });
      await desktop.call('connect');
      await desktop.call('linkGateway', { workspaceId: demo.workspaceId });
      await ctx.registry.service(`${host.id}-gateway`).handle.waitForLog({ event: 'ws.welcome' }, 30_000);
    }),
  );
}
