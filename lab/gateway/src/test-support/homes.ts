import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { OpenclawConfig } from '@multiclaw-lab/protocol';

export const WORKSPACE_ID = 'w1';
export const INSTANCE_ID = 'i1';
/** Planted credentials: if one ever shows up in a log or a file it was not meant for, a test fails. */
export const GATEWAY_TOKEN = 'mcg_PLANTEDgatewayToken0123456789';
export const INSTANCE_TOKEN = 'mci_PLANTEDinstanceToken0123456789';

/** A fresh HOME whose openclaw.json is already linked to `cloudUrl`. */
export async function linkedHome(
  cloudUrl: string,
  mode: 'local' | 'daemon' = 'local',
  extra: Partial<OpenclawConfig> = {},
): Promise<string> {
  const home = await mkdtemp(join(tmpdir(), 'gw-home-'));
  await mkdir(join(home, '.openclaw'), { mode: 0o700 });
  const config: OpenclawConfig = {
    version: 1,
    mode,
    workspace: {
      cloudUrl,
      workspaceId: WORKSPACE_ID,
      instanceId: INSTANCE_ID,
      authToken: mode === 'local' ? GATEWAY_TOKEN : INSTANCE_TOKEN,
    },
    configVersion: 0,
    agents: [],
    ...extra,
  };
  await writeFile(join(home, '.openclaw/openclaw.json'), JSON.stringify(config), { mode: 0o600 });
  return home;
}

/** Fast, deterministic reconnects for tests: tiny backoff, no jitter surprises. */
export const FAST = {
  backoff: { baseMs: 5, capMs: 20, random: () => 0.5 },
  heartbeat: { intervalMs: 50, timeoutMs: 100 },
};
