/**
 * A scenario: the documented claims it verifies, its tags, what it needs from the lab, and what
 * it does. Scenarios are data plus one function; the runner gives them a fresh context.
 */
import type { ScenarioContext } from './context.ts';

export const CAPABILITIES = [
  'link-faults',
  'firewall',
  'udp-block',
  'process-faults',
  'clock',
  'dpi',
  'proxy',
  'capture',
  // a real browser in a host, driven over extra file descriptors
  'browser',
  // the harness reads a host's files (profiles, configs, trust stores) on its own disk
  'host-files',
  // certificates issued from the lab's CA during the run (a DPI box's, an old TLS server's)
  'ca-key',
  // signed releases published to the lab's own update CDN
  'update-cdn',
] as const;
export type Capability = (typeof CAPABILITIES)[number];

export const TAGS = ['reconnect', 'tokens', 'keys', 'tls', 'network', 'local', 'updates', 'webrtc'] as const;
export type Tag = (typeof TAGS)[number];

export interface ScenarioDefinition {
  /** stable, e.g. "S01-desktop-wss-dropped" */
  id: string;
  title: string;
  /** claim ids from the catalogue */
  claims: string[];
  tags: Tag[];
  needs: Capability[];
  /**
   * how many desktop hosts site s1 must have (s1-d1…s1-dN), default 1. `pnpm lab up` makes three;
   * on a smaller lab the scenario is skipped with the command that makes a big enough one.
   */
  desktopHosts?: number;
  /**
   * how many cloud instances (behind the load balancer) the lab must run, default 1; on a lab
   * with fewer the scenario is skipped with the command that makes enough
   */
  cloudInstances?: number;
  /** default 120 s */
  timeoutMs?: number;
  run(ctx: ScenarioContext): Promise<void>;
}

export function defineScenario(definition: ScenarioDefinition): ScenarioDefinition {
  if (!/^S\d{2}-[a-z0-9-]+$/.test(definition.id)) throw new Error(`scenario id ${definition.id} must look like S01-some-name`);
  if (definition.claims.length === 0) throw new Error(`scenario ${definition.id} must name the claims it verifies`);
  return definition;
}
