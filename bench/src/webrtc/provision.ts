import { randomBytes } from 'node:crypto';
import { CloudApi } from '@multiclaw-lab/core';

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
    await api.call('POST', '/v1/auth/sign-up', { body: { email, password, name: 'webrtc-bench' } });
    const { bearer } = await api.call<{ bearer: string }>('POST', '/v1/auth/sign-in', { body: { email, password } });
    const { id: workspaceId } = await api.call<{ id: string }>('POST', '/v1/workspaces', {
      credential: bearer,
      body: { name: 'WebRTC bench' },
    });
    const desktops = new Map<string, BenchDesktop>();
    for (const name of desktopNames) {
      const created = await api.call<{ instance: { id: string }; instanceToken: string }>(
        'POST',
        `/v1/workspaces/${workspaceId}/instances`,
        { credential: bearer, body: { name: `bench-${name}` } },
      );
      desktops.set(name, { instanceId: created.instance.id, instanceToken: created.instanceToken });
    }
    return { account: { email, password, bearer }, workspaceId, desktops };
  } finally {
    await api.close();
  }
}
