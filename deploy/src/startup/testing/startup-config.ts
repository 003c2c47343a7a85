import type { InstanceRole } from '../../outputs.ts';
import type { StartupConfig } from '../index.ts';

export const NODE_SHA = 'a1'.repeat(32);
export const BUNDLE_SHA = 'b2'.repeat(32);
export const LOG_GROUP = '/multiclaw-lab/staging/components';
export const ARN = (name: string) => `arn:aws:secretsmanager:eu-west-1:123456789012:secret:${name}-AbCdEf`;

/** A start-up configuration of one role as the stack would give it (the cloud with its database), for tests. */
export function startupConfig(role: InstanceRole, extra: Partial<StartupConfig> = {}): StartupConfig {
  return {
    hostId: role === 'cloud' ? 'cloud' : 's1-d1',
    role,
    region: 'eu-west-1',
    artifacts: {
      bucket: 'mcl-artifacts',
      nodeKey: 'build/node',
      bundleKey: 'build/components.tar.gz',
      nodeSha256: NODE_SHA,
      bundleSha256: BUNDLE_SHA,
    },
    secretFiles: {},
    env: {},
    logGroup: LOG_GROUP,
    ...(role === 'cloud'
      ? { database: { host: 'db.rds.test', name: 'multiclaw', user: 'cloud', passwordSecretArn: ARN('db') } }
      : {}),
    ...extra,
  };
}
