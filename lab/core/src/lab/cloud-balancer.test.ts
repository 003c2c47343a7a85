/** HAProxy itself accepts the configuration the lab writes (`haproxy -c`). */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createLabCA } from '@multiclaw-lab/pki';
import { afterAll, describe, expect, it } from 'vitest';
import { cloudInstances, haproxyConfig } from './cloud-balancer.ts';

const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

describe('HAProxy configuration', () => {
  it('is valid for HAProxy', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mclab-haproxy-'));
    dirs.push(dir);
    const file = join(dir, 'cloud-lb.cfg');
    // the health checks verify the instances' certificate: HAProxy reads the bundle when it starts
    const caFile = join(dir, 'ca-certificates.crt');
    await writeFile(caFile, (await createLabCA()).certPem);
    await writeFile(
      file,
      haproxyConfig({ address: '127.0.0.1', instances: cloudInstances(8), adminSocket: join(dir, 'lb.sock'), caFile }),
    );
    const { stdout, stderr } = await promisify(execFile)('haproxy', ['-c', '-f', file]);
    expect(`${stdout}${stderr}`).toContain('Configuration file is valid');
    expect(stderr).not.toMatch(/WARNING|ALERT/);
  });
});
