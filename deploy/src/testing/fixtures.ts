import { parseStackConfig, type StackConfig, type StackConfigInput, type StackSecrets } from '../config.ts';

/** Stand-ins with the PEM armour the config checks; nothing reads them as certificates offline. */
const fakePem = (label: string, body: string) => `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`;

export const TEST_CA = fakePem('CERTIFICATE', 'TEST-CA');

export function testConfigInput(overrides: Partial<StackConfigInput> = {}): StackConfigInput {
  return {
    artifacts: {
      nodePath: '/nonexistent/node',
      bundlePath: '/nonexistent/components.tar.gz',
      nodeSha256: 'a'.repeat(64),
      bundleSha256: 'b'.repeat(64),
    },
    tls: {
      caCertificate: TEST_CA,
      apiCertificate: fakePem('CERTIFICATE', 'TEST-API'),
      llmCertificate: fakePem('CERTIFICATE', 'TEST-LLM'),
      turnCertificate: fakePem('CERTIFICATE', 'TEST-TURN'),
    },
    ...overrides,
  };
}

export function testConfig(overrides: Partial<StackConfigInput> = {}): StackConfig {
  return parseStackConfig(testConfigInput(overrides));
}

/** Recognisable values, so a test can prove none of them lands anywhere plain (user data, tags). */
export const TEST_SECRETS: StackSecrets = {
  tokenSigningKey: 'canary-token-signing-key',
  masterKey: 'canary-master-key',
  turnSharedSecret: 'canary-turn-shared-secret',
  apiTlsKey: fakePem('PRIVATE KEY', 'canary-api-key'),
  llmTlsKey: fakePem('PRIVATE KEY', 'canary-llm-key'),
  turnTlsKey: fakePem('PRIVATE KEY', 'canary-turn-key'),
};
