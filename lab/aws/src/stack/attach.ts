/**
 * `lab up --driver aws`: attaching to a deployed stack, never changing it. Every lab host the
 * outputs list (and at least one cloud instance) must be a running instance that answers an SSM
 * command, and the public endpoints must answer /healthz over TLS checked against the stack's
 * CA, under their lab names (the cloud is reached at its load balancer's address, with
 * api.<domain> as the TLS name and Host). What was found is handed back for the lab's state.
 */
import { request } from 'node:https';
import type { StackOutputs } from '@multiclaw-lab/deploy';
import { StackNotReadyError } from '../errors.ts';
import type { ResolvedHost } from '../ssm/instances.ts';
import type { InstanceTransport } from '../transport.ts';

export interface AttachedHost {
  id: string;
  instanceId: string;
  role: string;
  site?: string;
}

export interface AttachedStack {
  stack: string;
  region: string;
  hosts: AttachedHost[];
  endpoints: Array<{ name: string; url: string }>;
  /** the outputs read when attaching: what later commands on the stack work from */
  outputs: StackOutputs;
}

/** What attaching needs of a transport: its hosts, and a command run on each. */
export type AttachTransport = Pick<InstanceTransport, 'run'> & { hosts(): Promise<ResolvedHost[]> };

/** `status`: the HTTP status, when an answer came at all (over TLS verified against the stack's CA) */
export type HealthCheck = (
  url: string,
  options: { servername: string; ca: string },
) => Promise<{ ok: boolean; detail: string; status?: number }>;

/** GET <url>/healthz with the lab name as TLS name and Host, trusting only the stack's CA. */
export const httpsHealth: HealthCheck = (url, options) =>
  new Promise((resolve) => {
    const target = new URL('/healthz', url);
    const req = request(
      target,
      { servername: options.servername, ca: options.ca, headers: { host: options.servername }, timeout: 15_000 },
      (res) => {
        res.resume();
        res.once('end', () =>
          resolve({
            ok: res.statusCode === 200,
            detail: `HTTP ${res.statusCode}`,
            ...(res.statusCode ? { status: res.statusCode } : {}),
          }),
        );
      },
    );
    req.once('timeout', () => req.destroy(new Error('no answer within 15 s')));
    req.once('error', (err: NodeJS.ErrnoException) => resolve({ ok: false, detail: err.code ?? err.message }));
    req.end();
  });

export async function attachStack(options: {
  outputs: StackOutputs;
  transport: AttachTransport;
  health?: HealthCheck;
  onProgress?: (line: string) => void;
}): Promise<AttachedStack> {
  const { outputs, transport } = options;
  const progress = options.onProgress ?? (() => undefined);
  const health = options.health ?? httpsHealth;
  const problems: string[] = [];

  progress(`looking up the instances of stack ${outputs.stack} in ${outputs.region}`);
  const running = new Map((await transport.hosts()).map((h) => [h.hostId, h]));
  const hosts: AttachedHost[] = [];
  const clouds = [...running.values()].filter((h) => /^cloud(-\d+)?$/.test(h.hostId));
  if (clouds.length === 0) problems.push(`cloud: no running instance in auto scaling group ${outputs.cloudAutoScalingGroup}`);
  for (const c of clouds) hosts.push({ id: c.hostId, instanceId: c.instanceId, role: 'cloud' });
  for (const h of outputs.hosts.filter((h) => h.role !== 'cloud')) {
    const found = running.get(h.id);
    if (!found) problems.push(`${h.id}: no running instance carries its tags`);
    else hosts.push({ id: h.id, instanceId: found.instanceId, role: h.role, ...(h.site ? { site: h.site } : {}) });
  }

  progress(`asking ${hosts.length} instances to answer an SSM command`);
  await Promise.all(
    hosts.map(async (h) => {
      try {
        const result = await transport.run(h.id, { description: 'answer', script: 'echo ok' }, { timeoutMs: 60_000 });
        if (result.code !== 0 || result.stdout.trim() !== 'ok')
          problems.push(`${h.id} (${h.instanceId}): answered code ${result.code}`);
      } catch (err) {
        problems.push(`${h.id} (${h.instanceId}): ${(err as Error).message}`);
      }
    }),
  );

  // the cloud has a health route; the LLM replica has none (its one route is POST
  // /v1/chat/completions), so any answer over TLS checked against the stack's CA is its sign of life
  const endpoints = [
    { name: outputs.names.api, url: outputs.endpoints.api, anyAnswer: false },
    { name: outputs.names.llm, url: outputs.endpoints.llm, anyAnswer: true },
  ];
  progress(`checking ${endpoints.map((e) => e.name).join(', ')} (/healthz)`);
  await Promise.all(
    endpoints.map(async (e) => {
      const result = await health(e.url, { servername: e.name, ca: outputs.caCertificate });
      const alive = result.ok || (e.anyAnswer && result.status !== undefined);
      if (!alive) problems.push(`${e.name} (${e.url}): /healthz ${result.detail}`);
    }),
  );
  if (problems.length > 0) throw new StackNotReadyError(outputs.stack, problems.sort());
  return {
    stack: outputs.stack,
    region: outputs.region,
    hosts: hosts.sort((a, b) => a.id.localeCompare(b.id)),
    endpoints,
    outputs,
  };
}
