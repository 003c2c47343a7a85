import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { stackConfigSchema } from './config.ts';
import { generateStackTls } from './stack-tls.ts';

describe('the TLS material of a new stack', () => {
  it('is a CA and, signed by it, a leaf per public name; the program’s config accepts the public halves', async () => {
    const { tls, secrets } = await generateStackTls({ domain: 'multiclaw.test', llmDomain: 'llm.test' });
    const ca = new X509Certificate(tls.caCertificate);
    const leaves = {
      'api.multiclaw.test': [tls.apiCertificate, secrets.apiTlsKey],
      'api.llm.test': [tls.llmCertificate, secrets.llmTlsKey],
      'turn.multiclaw.test': [tls.turnCertificate, secrets.turnTlsKey],
    } as const;
    for (const [name, [certPem, keyPem]] of Object.entries(leaves)) {
      const leaf = new X509Certificate(certPem);
      expect(leaf.checkIssued(ca) && leaf.verify(ca.publicKey), name).toBe(true);
      expect(leaf.checkHost(name), name).toBe(name);
      expect(keyPem).toContain('PRIVATE KEY');
      // a staging stack outlives a lab run: a year, not the lab's 30 days
      expect(new Date(leaf.validTo).getTime() - Date.now()).toBeGreaterThan(360 * 86_400_000);
    }
    expect(stackConfigSchema.shape.tls.safeParse(tls).success).toBe(true);
  });
});
