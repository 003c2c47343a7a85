/**
 * Taking a docker lab down removes its networks even when something is still attached to one
 * (a container removed a moment ago whose endpoint the daemon still holds, or one someone else
 * attached): the endpoint is disconnected, the container itself left alone.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { docker } from './exec.ts';
import { labImageNames } from './images/index.ts';
import { LABEL } from './labels.ts';
import { teardownDockerLab } from './teardown.ts';

const prefix = `td${randomBytes(3).toString('hex')}`;
const network = `${prefix}-internet`;
const stranger = `${prefix}-stranger`;

afterAll(async () => {
  await docker(['rm', '-f', stranger]);
  await docker(['network', 'rm', network]);
});

describe('docker lab teardown', () => {
  it('removes a lab network another container is still attached to, and leaves that container', async () => {
    const made = await docker([
      'network',
      'create',
      '--subnet',
      '198.18.210.0/24',
      '--label',
      `${LABEL.prefix}=${prefix}`,
      network,
    ]);
    expect(made.code, made.stderr).toBe(0);
    const { base } = await labImageNames();
    const run = await docker(['run', '-d', '--name', stranger, '--network', network, base, 'sleep', 'infinity']);
    expect(run.code, run.stderr).toBe(0);
    // the fault took effect: the daemon refuses a plain removal while the endpoint is there
    const refused = await docker(['network', 'rm', network]);
    expect(refused.stderr).toMatch(/active endpoints/);

    const report = await teardownDockerLab(prefix);
    expect(report.networks).toEqual([network]);
    expect((await docker(['network', 'inspect', network])).code).not.toBe(0);
    const left = await docker(['inspect', '-f', '{{.State.Running}}', stranger]);
    expect(left.stdout.trim()).toBe('true');
  }, 120_000);
});
