/**
 * `~/.openclaw/openclaw.json`: plain JSON, protected by file permissions only (folder 0700,
 * file 0600). It holds the gateway workspace auth token and the agents, whose synced keys stay
 * `enc:` on disk and are decrypted only in memory. WSS session tokens are never written here.
 */
import { z } from 'zod';
import { GatewayMode } from './gateway-api.ts';
import { Id } from './rest.ts';

export const OPENCLAW_DIR = '.openclaw';
export const OPENCLAW_CONFIG_FILE = '.openclaw/openclaw.json';
export const CONVERSATIONS_DIR = '.openclaw/conversations';

export const OpenclawAgent = z.object({
  id: Id,
  name: z.string(),
  provider: z.string(),
  model: z.string(),
  baseUrl: z.string(),
  /** `enc:...` as synced from the cloud, or a plain key the user typed for a local-only agent */
  apiKey: z.string().nullable(),
});
export type OpenclawAgent = z.infer<typeof OpenclawAgent>;

export const OpenclawConfig = z.object({
  version: z.literal(1),
  mode: GatewayMode.default('local'),
  workspace: z
    .object({
      cloudUrl: z.string(),
      workspaceId: Id,
      instanceId: Id,
      /** `mcg_` (local gateway) or `mci_` (daemon) */
      authToken: z.string(),
    })
    .nullable()
    .default(null),
  configVersion: z.number().int().nonnegative().default(0),
  agents: z.array(OpenclawAgent).default([]),
});
export type OpenclawConfig = z.infer<typeof OpenclawConfig>;
