/**
 * What the stack (under Pulumi mocks) hands the start-up script, per host: every instance gets
 * the SSM agent step, every host that runs a service ships its logs to the stack's component log
 * group (and its role may write there, and only there), the hosts whose clients call the staging
 * names trust the lab CA, and the relay gets its port range and the cloud VPC as denied peers.
 */

import { beforeAll, describe, expect, it } from 'vitest';
import { CLOUD_VPC_CIDR } from '../address-plan.ts';
import { HOST_TAG, INSTANCE_ROLES } from '../outputs.ts';
import { decodeUserData } from '../stack/instances.ts';
import type { RecordedResource } from '../testing/mock-cloud.ts';
import { type MockedRun, runMockedProgram } from '../testing/run-program.ts';

let run: MockedRun;
let scripts: Map<string, string>;

function userDataOf(r: RecordedResource): string {
  return decodeUserData((r.inputs.userDataBase64 ?? r.inputs.userData) as string);
}

beforeAll(async () => {
  run = await runMockedProgram({ cloudDesktops: 1 });
  scripts = new Map(
    run.mocks
      .ofType('aws:ec2/instance:Instance')
      .map((r) => [(r.inputs.tags as Record<string, string>)[HOST_TAG]!, userDataOf(r)]),
  );
  scripts.set('cloud', userDataOf(run.mocks.byName('lt-cloud')));
});

describe('the stack’s start-up scripts', () => {
  it('install the SSM agent on every host', () => {
    expect([...scripts.keys()].sort()).toEqual(['cd1', 'cloud', 'llm', 'relay', 's1-d1', 's1-nb']);
    for (const [host, script] of scripts)
      expect(script, host).toMatch(/^ensure_ssm_agent 'https:\/\/s3\.eu-west-1\.amazonaws\.com\//m);
  });

  it('ship the logs of every host that runs a service to the component log group, by the instance role', () => {
    const group = run.mocks.byName('logs-components');
    const groupName = group.inputs.name as string;
    const shipping = [...scripts].filter(([, s]) => /^ensure_cloudwatch_agent /m.test(s)).map(([host]) => host);
    expect(shipping.sort()).toEqual(['cd1', 'cloud', 'llm', 'relay', 's1-d1']);
    for (const host of shipping) expect(scripts.get(host), host).toContain(`"log_group_name": ${JSON.stringify(groupName)}`);
    // the agent's calls, on that group's streams alone, for every instance role
    const groupArn = group.state.arn as string;
    expect(groupArn).toMatch(new RegExp(`^arn:aws:logs:eu-west-1:\\d{12}:log-group:${groupName}$`));
    for (const policy of INSTANCE_ROLES.map((role) => run.mocks.byName(`policy-${role}`))) {
      const statements = JSON.parse(policy.inputs.policy as string).Statement as { Action: string[]; Resource: unknown }[];
      const writes = statements.filter((s) => [s.Action].flat().some((a) => a.startsWith('logs:')));
      expect(writes, policy.name).toEqual([
        expect.objectContaining({
          Effect: 'Allow',
          Action: expect.arrayContaining(['logs:CreateLogStream', 'logs:PutLogEvents']),
          Resource: `${groupArn}:*`,
        }),
      ]);
    }
  });

  it('put the lab CA into the trust store of the desktops and cloud desktops, and nowhere else', () => {
    const trusting = [...scripts].filter(([, s]) => /^trust_lab_ca /m.test(s)).map(([host]) => host);
    expect(trusting.sort()).toEqual(['cd1', 's1-d1']);
  });

  it('give the relay its port range and the cloud VPC as denied peers', () => {
    const relay = scripts.get('relay')!;
    expect(relay).toContain(`TURN_DENIED_PEER_CIDRS='${CLOUD_VPC_CIDR}'`);
    expect(relay).toMatch(/^TURN_MIN_PORT='\d+'$/m);
    expect(relay).toMatch(/^TURN_MAX_PORT='\d+'$/m);
  });
});
