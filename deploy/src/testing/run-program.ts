import * as pulumi from '@pulumi/pulumi';
import type { StackConfigInput } from '../config.ts';
import { TEST_SECRETS, testConfig } from './fixtures.ts';
import { MockCloud } from './mock-cloud.ts';

export interface MockedRun {
  mocks: MockCloud;
  /** the program's outputs, resolved */
  outputs: Record<string, unknown>;
}

function resolved<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => {
    output.apply((value) => {
      resolve(value);
      return value;
    });
  });
}

/**
 * Runs the whole program under Pulumi mocks (no CLI, no engine, no AWS) and waits until every
 * resource is registered. The program module is imported only after the mocks are in place,
 * as Pulumi's mocks require.
 */
export async function runMockedProgram(overrides: Partial<StackConfigInput> = {}): Promise<MockedRun> {
  const mocks = new MockCloud();
  await pulumi.runtime.setMocks(mocks, 'multiclaw-lab-staging', 'test', false);
  const { stagingProgram } = await import('../program.ts');
  const outputs = await stagingProgram({ config: testConfig(overrides), secrets: TEST_SECRETS, stack: 'test' });
  const values = (await resolved(pulumi.output(outputs))) as Record<string, unknown>;
  // resources nothing depends on may still be registering: wait for every outstanding call
  await pulumi.runtime.disconnect();
  return { mocks, outputs: values };
}
