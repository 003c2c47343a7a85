import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { judgeEndpoint, parseTestsslJson, type TestsslEntry } from './judge.ts';

/** testssl.sh 3.0.8 against the lab's cloud as it was: Node's default TLS 1.2 suites (CBC among them). */
const nodeDefaults = parseTestsslJson(readFileSync(new URL('samples/api-node-defaults.json', import.meta.url), 'utf8'));

/** The same endpoint with the AEAD-only policy: the CBC suites and the LUCKY13 rating gone. */
const aeadOnly: TestsslEntry[] = nodeDefaults
  .filter((e) => e.id !== 'cipher-tls1_2_xc024' && !e.id.startsWith('cert_expiration'))
  .map((e) => (e.id === 'LUCKY13' ? { ...e, severity: 'OK', finding: 'not vulnerable' } : e));

/** testssl.sh 3.0.8 against coturn's TLS port after the fixes: AEAD only, TLS 1.3 preferred. */
const turnFixed = parseTestsslJson(readFileSync(new URL('samples/turn-aead-only.json', import.meta.url), 'utf8'));

const entry = (id: string, finding: string, severity = 'INFO'): TestsslEntry => ({
  id,
  ip: 'x/198.18.0.10',
  port: '443',
  severity,
  finding,
});
const replace = (entries: TestsslEntry[], ...changed: TestsslEntry[]) =>
  entries.map((e) => changed.find((c) => c.id === e.id) ?? e);

describe('testssl verdict on one endpoint', () => {
  it('fails a server that offers CBC suites on TLS 1.2, by the suite and by testssl’s own LUCKY13 rating', () => {
    const verdict = judgeEndpoint('api.multiclaw.test:443', nodeDefaults);
    const messages = verdict.findings.map((f) => f.message);
    expect(messages).toContain('TLS 1.2 offers TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384, which is not an AEAD suite');
    expect(messages.some((m) => m.startsWith('LUCKY13: potentially vulnerable'))).toBe(true);
    expect(verdict.findings.find((f) => f.message.startsWith('LUCKY13'))?.severity).toBe('LOW');
  });

  it('passes an AEAD-only server with TLS 1.3 preferred, and lists what it let through with the reason', () => {
    const verdict = judgeEndpoint('api.multiclaw.test:443', aeadOnly);
    expect(verdict.findings).toEqual([]);
    expect(verdict.accepted.map((a) => a.message.split(':')[0])).toEqual(['sessionresumption_ticket', 'cert_revocation']);
    expect(verdict.accepted.every((a) => a.message.includes('accepted: '))).toBe(true);
  });

  it('passes coturn as recorded after the fixes, its only rating below OK let through with the reason', () => {
    const verdict = judgeEndpoint('turn.multiclaw.test:443', turnFixed);
    expect(verdict.findings).toEqual([]);
    expect(verdict.accepted.map((a) => a.message.split(':')[0])).toEqual(['cert_revocation']);
  });

  it('fails a server that still offers TLS 1.0 or 1.1', () => {
    for (const old of ['TLS1', 'TLS1_1']) {
      const verdict = judgeEndpoint('x:443', replace(aeadOnly, entry(old, 'offered (deprecated)', 'LOW')));
      expect(verdict.findings.map((f) => f.message)).toContain(`${old} is offered (deprecated): TLS 1.2 is the minimum`);
    }
  });

  it('fails a server that does not offer and prefer TLS 1.3 (coturn 4.6.1 sniffing plain TCP on its TLS port did not)', () => {
    const noTls13 = replace(
      aeadOnly,
      entry('TLS1_3', 'not offered + downgraded to weaker protocol'),
      entry('protocol_negotiated', 'Default protocol TLS1.2', 'OK'),
    );
    expect(judgeEndpoint('x:443', noTls13).findings.map((f) => f.message)).toEqual([
      'TLS 1.3 is not offered + downgraded to weaker protocol, default protocol Default protocol TLS1.2: TLS 1.3 must be offered and preferred',
    ]);
  });

  it('fails on a WARN testssl cannot explain away, and on missing protocol or cipher results', () => {
    const warned = [...aeadOnly, entry('cert_chain_of_trust', 'check failed', 'WARN')];
    expect(judgeEndpoint('x:443', warned).findings.map((f) => f.severity)).toEqual(['WARN']);
    const bare = judgeEndpoint('x:443', [entry('service', 'HTTP')]);
    expect(bare.findings.map((f) => f.message)).toEqual(
      expect.arrayContaining([
        'SSLv2: testssl did not report it (was the protocol check run?)',
        'no TLS 1.2 suite reported (was the per-protocol cipher check run?)',
      ]),
    );
  });

  it('refuses the pretty JSON form, whose findings it would not see', () => {
    expect(() => parseTestsslJson('{"scanResult": []}')).toThrow(/not a list of findings/);
  });
});
