import { describe, expect, it } from 'vitest';
import { cidrInside, cidrsOverlap, MAX_SITES, siteSubnets, siteVpcCidr } from './address-plan.ts';
import { parseStackConfig } from './config.ts';
import { StackConfigError } from './errors.ts';
import { generateStackSecrets } from './stack-secrets.ts';
import { testConfigInput } from './testing/fixtures.ts';

describe('stack configuration', () => {
  it('fills in the defaults: eu-west-1, one site with one desktop, one cloud desktop, the lab names', () => {
    const config = parseStackConfig(testConfigInput());
    expect(config).toMatchObject({
      region: 'eu-west-1',
      sites: 1,
      desktopsPerSite: 1,
      cloudDesktops: 1,
      domain: 'multiclaw.test',
      llmDomain: 'llm.test',
      cloudInstances: { min: 1, desired: 1, max: 2 },
      relayPorts: { min: 49152, max: 65535 },
      instanceTypes: { cloud: 't3.small', database: 'db.t4g.micro' },
      database: { engineVersion: '16' },
    });
  });

  it.each([
    [{ sites: 0 }, 'sites'],
    [{ sites: MAX_SITES + 1 }, 'sites'],
    [{ relayPorts: { min: 3478, max: 65535 } }, 'relayPorts.min'],
    [{ cloudInstances: { min: 3, desired: 1, max: 2 } }, 'cloudInstances'],
    [{ logRetentionDays: 10 }, 'logRetentionDays'],
    [{ region: 'mars' }, 'region'],
    [{ tls: { caCertificate: 'not a pem', apiCertificate: '', llmCertificate: '', turnCertificate: '' } }, 'tls.caCertificate'],
    [{ unknownKey: 1 } as never, 'unknownKey'],
  ])('refuses %j, naming %s', (override, named) => {
    let error: unknown;
    try {
      parseStackConfig(testConfigInput(override));
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(StackConfigError);
    expect((error as StackConfigError).code).toBe('DEPLOY_BAD_CONFIG');
    expect((error as Error).message).toContain(named);
  });
});

describe('address plan', () => {
  it('puts every site in its own /24 inside 198.18.0.0/16, clear of the cloud VPC', () => {
    const vpcs = Array.from({ length: MAX_SITES }, (_, i) => siteVpcCidr(i + 1));
    for (const [i, cidr] of vpcs.entries()) {
      expect(cidrInside(cidr, '198.18.0.0/16')).toBe(true);
      expect(cidrsOverlap(cidr, '198.18.0.0/20')).toBe(false);
      const { public: pub, private: priv } = siteSubnets(i + 1);
      expect(cidrInside(pub, cidr) && cidrInside(priv, cidr) && !cidrsOverlap(pub, priv)).toBe(true);
    }
    expect(new Set(vpcs).size).toBe(MAX_SITES);
    expect(() => siteVpcCidr(MAX_SITES + 1)).toThrow(RangeError);
  });
});

describe('generated stack secrets', () => {
  it('makes a 32-byte master key, a 32-byte token key and a TURN secret without whitespace', () => {
    const secrets = generateStackSecrets();
    expect(Buffer.from(secrets.masterKey, 'base64')).toHaveLength(32);
    expect(Buffer.from(secrets.tokenSigningKey, 'base64')).toHaveLength(32);
    expect(secrets.turnSharedSecret).toMatch(/^[0-9a-f]{64}$/);
    expect(generateStackSecrets().masterKey).not.toBe(secrets.masterKey);
  });
});
