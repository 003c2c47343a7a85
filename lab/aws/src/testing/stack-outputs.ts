import type { StackOutputs } from '@multiclaw-lab/deploy';

/** The outputs of a small deployed stack (a relay, site s1 with a desktop and a neighbour), for tests. */
export function stackOutputsFixture(overrides: Partial<StackOutputs> = {}): StackOutputs {
  return {
    region: 'eu-west-1',
    stack: 'staging',
    names: { api: 'api.multiclaw.test', turn: 'turn.multiclaw.test', cdn: 'cdn.multiclaw.test', llm: 'api.llm.test' },
    endpoints: {
      api: 'https://stg-alb-123.eu-west-1.elb.amazonaws.com',
      cdn: 'https://d111111abcdef8.cloudfront.net',
      llm: 'https://198.18.7.10',
      turnAddress: '198.18.7.11',
      turnUrls: ['turn:198.18.7.11:3478?transport=udp'],
    },
    cloudAutoScalingGroup: 'stg-cloud',
    hosts: [
      { id: 'relay', role: 'relay' },
      { id: 's1-d1', role: 'desktop', site: 's1' },
      { id: 's1-nb', role: 'neighbour', site: 's1' },
    ],
    sites: [{ id: 's1', natAddress: '198.18.7.12', desktops: ['s1-d1'], neighbour: 's1-nb' }],
    commandOutputBucket: 'stg-command-output',
    logGroups: { components: '/multiclaw/stg/components', flowLogs: '/multiclaw/stg/flow' },
    caCertificate: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
    ...overrides,
  };
}
