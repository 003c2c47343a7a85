/**
 * The docker staging, checked from outside as the harness would meet a deployed stack: the API
 * through the load balancer stand-in from this machine, trusting only the stack's CA; attaching
 * with the outputs and the transport alone; a desktop reaching the cloud by its lab name with
 * the lab CA its start-up script trusted; each service's own ready line where the CloudWatch
 * agent would read it; and nothing left once it is down.
 */
import { request } from 'node:https';
import { roleServices } from '@multiclaw-lab/deploy/startup-testing';
import { docker } from '@multiclaw-lab/docker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attachStack } from '../stack/attach.ts';
import { type DockerStaging, startDockerStaging } from './docker-staging.ts';

/** GET with the lab name as TLS name and Host, trusting `ca` alone. */
function getJson(url: string, servername: string, ca: string): Promise<{ status?: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { servername, ca, headers: { host: servername }, timeout: 15_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (b: Buffer) => chunks.push(b));
      res.once('end', () =>
        resolve({ ...(res.statusCode ? { status: res.statusCode } : {}), body: Buffer.concat(chunks).toString() }),
      );
    });
    req.once('timeout', () => req.destroy(new Error('no answer within 15 s')));
    req.once('error', reject);
    req.end();
  });
}

describe('a docker staging: the staging stack’s instances as containers, each up by its role’s start-up script', () => {
  let staging: DockerStaging;

  beforeAll(async () => {
    staging = await startDockerStaging({ onProgress: (line) => process.stderr.write(`[docker staging] ${line}\n`) });
  }, 600_000);

  afterAll(async () => {
    await staging?.down();
  });

  it('answers GET /healthz at endpoints.api, under names.api, to a client that trusts only the stack’s CA', async () => {
    const { outputs } = staging;
    const health = await getJson(new URL('/healthz', outputs.endpoints.api).href, outputs.names.api, outputs.caCertificate);
    expect(health.status, health.body).toBe(200);
    expect(JSON.parse(health.body)).toMatchObject({ status: 'ok' });
  });

  it('is attached to with its outputs and transport alone, every listed host answering', async () => {
    const attached = await attachStack({ outputs: staging.outputs, transport: staging.transport });
    expect(attached.hosts.map((h) => [h.id, h.role, h.site])).toEqual([
      ['cloud', 'cloud', undefined],
      ['llm', 'llm', undefined],
      ['s1-d1', 'desktop', 's1'],
      ['s1-nb', 'neighbour', 's1'],
    ]);
  });

  it('lets a desktop reach the cloud by its lab name, trusting the lab CA its start-up script installed', async () => {
    const { outputs } = staging;
    const desktop = outputs.sites[0]!.desktops[0]!;
    const health = await docker([
      'exec',
      staging.containerOf(desktop),
      'curl',
      '-sS',
      '-f',
      `https://${outputs.names.api}/healthz`,
    ]);
    expect(health.code, health.stderr).toBe(0);
    expect(JSON.parse(health.stdout)).toMatchObject({ status: 'ok' });
  });

  it('leaves each role’s service log with the service’s JSON ready line', async () => {
    const services = staging.outputs.hosts.flatMap((h) => roleServices(h.role).map((service) => [h.id, service] as const));
    expect(services.map(([, service]) => service).sort()).toEqual(['multiclaw-cloud', 'multiclaw-gateway', 'multiclaw-llm']);
    for (const [hostId, service] of services) {
      const log = await staging.transport.run(hostId, {
        description: 'read the service log',
        script: `cat /var/log/multiclaw-lab/${service}.log`,
      });
      expect(log.code, `${hostId}: ${log.stderr}`).toBe(0);
      const ready = log.stdout
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .find((line) => line.event === 'ready');
      expect(ready, `${hostId}: ${log.stdout}`).toBeDefined();
    }
  });

  it('leaves no container and no network of its name once down', async () => {
    await staging.down();
    const containers = await docker(['ps', '-a', '-q', '--filter', `name=${staging.name}`]);
    const networks = await docker(['network', 'ls', '-q', '--filter', `name=${staging.name}`]);
    expect(containers.code, containers.stderr).toBe(0);
    expect(networks.code, networks.stderr).toBe(0);
    expect(`${containers.stdout}${networks.stdout}`.trim()).toBe('');
  });
});
