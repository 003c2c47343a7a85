import { randomBytes } from 'node:crypto';
import { CloudApi } from '@multiclaw-lab/core';
import { routes, signUpAndIn } from '@multiclaw-lab/protocol';

export interface BenchAccount {
  email: string;
  password: string;
  bearer: string;
}

export interface BenchDesktop {
  instanceId: string;
  instanceToken: string;
}

/**
 * The fixtures, through the cloud's REST API: one account (the owner, so it may view every
 * desktop of its workspace), one workspace, one cloud desktop per name.
 */
export async function provision(
  cloudUrl: string,
  caPem: string,
  desktopNames: string[],
): Promise<{ account: BenchAccount; workspaceId: string; desktops: Map<string, BenchDesktop> }> {
  const api = new CloudApi(cloudUrl, caPem);
  try {
    const email = `webrtc-bench-${randomBytes(3).toString('hex')}@example.test`;
    const password = `pw-${randomBytes(12).toString('base64url')}`;
    const { bearer } = await signUpAndIn(api, { email, password, name: 'webrtc-bench' });
    const { id: workspaceId } = await api.request(routes.createWorkspace, { credential: bearer, body: { name: 'WebRTC bench' } });
    const desktops = new Map<string, BenchDesktop>();
    for (const name of desktopNames) {
      const created = await api.request(routes.createInstance, {
        credential: bearer,
        params: { wid: workspaceId },
        body: { name: `bench-${name}` },
      });
      desktops.set(name, { instanceId: created.instance.id, instanceToken: created.instanceToken });
    }
    return { account: { email, password, bearer }, workspaceId, desktops };
  } finally {
    await api.close();
  }
}
