/**
 * What testssl.sh's JSON (`--jsonfile`: a flat list of findings, each with an id and testssl's own
 * severity) means for one endpoint. Pure, so recorded outputs test it. An endpoint fails on:
 * - any finding testssl rates LOW, MEDIUM, HIGH or CRITICAL, and any WARN (a check testssl could
 *   not finish is a check that did not pass), unless it is in the accepted list below with why;
 * - a protocol older than TLS 1.2 offered, TLS 1.2 or 1.3 not offered, or a default other than TLS
 *   1.3 ("TLS 1.2 at minimum, TLS 1.3 preferred");
 * - any TLS 1.2 suite that is not AEAD (GCM, ChaCha20-Poly1305, CCM): CBC suites are what LUCKY13
 *   and its kin attack, and nothing needs them.
 */
import type { CheckerFinding } from '../checker.ts';

export interface TestsslEntry {
  id: string;
  ip: string;
  port: string;
  severity: string;
  finding: string;
  cve?: string;
  cwe?: string;
}

export const FAILING_SEVERITIES = ['LOW', 'MEDIUM', 'HIGH', 'CRITICAL', 'WARN'] as const;

/**
 * Findings below OK that are not about the TLS policy of the servers under test, each with why:
 * the lab's private CA, and one probe testssl 3.0.x gets wrong with OpenSSL 3.
 */
export const ACCEPTED_FINDINGS: ReadonlyArray<{ id: string; finding?: RegExp; reason: string }> = [
  {
    id: 'cert_revocation',
    reason:
      "the lab's private CA runs no CRL or OCSP service, so its certificates name none; the pages promise nothing about revocation",
  },
  {
    id: 'sessionresumption_ticket',
    finding: /^check failed because of connect problem$/,
    reason:
      'testssl 3.0.x reads a resumed TLS 1.3 handshake (which carries no certificate) as a failed connection; openssl s_client -sess_in resumes the same session fine, and resumption is not part of the policy judged',
  },
];

export interface EndpointVerdict {
  target: string;
  /** every failing finding */
  findings: CheckerFinding[];
  /** findings rated below OK that ACCEPTED_FINDINGS lets pass, with the reason */
  accepted: CheckerFinding[];
  /** how many entries were OK or INFO */
  okCount: number;
  total: number;
}

/** testssl's JSON file: the list itself, or (with --jsonfile-pretty) an object holding `scanResult`. */
export function parseTestsslJson(text: string): TestsslEntry[] {
  const value = JSON.parse(text) as unknown;
  const list = Array.isArray(value) ? value : undefined;
  if (!list) throw new Error('testssl JSON is not a list of findings (use --jsonfile, not --jsonfile-pretty)');
  return list.filter(
    (e): e is TestsslEntry => typeof e === 'object' && e !== null && typeof e.id === 'string' && typeof e.severity === 'string',
  );
}

const AEAD = /_(GCM|CCM(_8)?|CHACHA20_POLY1305)(_|$)/;

/** A TLS 1.2 suite line: "TLS 1.2   xc024   ECDHE-ECDSA-AES256-SHA384  ECDH 253  AES  256  TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384". */
function suiteName(finding: string): string {
  return finding.trim().split(/\s+/).at(-1) ?? finding;
}

export function judgeEndpoint(target: string, entries: readonly TestsslEntry[]): EndpointVerdict {
  const findings: CheckerFinding[] = [];
  const accepted: CheckerFinding[] = [];
  const byId = new Map(entries.map((e) => [e.id, e]));
  const fail = (message: string, severity?: string) => findings.push({ target, message, ...(severity ? { severity } : {}) });

  for (const e of entries) {
    if (!(FAILING_SEVERITIES as readonly string[]).includes(e.severity)) continue;
    const message = `${e.id}: ${e.finding}${e.cve ? ` (${e.cve})` : ''}`;
    const acceptance = ACCEPTED_FINDINGS.find((a) => a.id === e.id && (a.finding?.test(e.finding) ?? true));
    if (acceptance) accepted.push({ target, message: `${message} — accepted: ${acceptance.reason}`, severity: e.severity });
    else fail(message, e.severity);
  }

  for (const old of ['SSLv2', 'SSLv3', 'TLS1', 'TLS1_1']) {
    const e = byId.get(old);
    if (!e) fail(`${old}: testssl did not report it (was the protocol check run?)`);
    else if (!/^not offered/.test(e.finding)) fail(`${old} is ${e.finding}: TLS 1.2 is the minimum`, e.severity);
  }
  const tls12 = byId.get('TLS1_2');
  if (!tls12 || !/^offered/.test(tls12.finding))
    fail(`TLS1_2 is ${tls12?.finding ?? 'not reported'}: it must be offered`, tls12?.severity);
  const tls13 = byId.get('TLS1_3');
  const negotiated = byId.get('protocol_negotiated');
  if (!tls13 || !/^offered/.test(tls13.finding) || !negotiated || !/TLS\s*1\.3/.test(negotiated.finding))
    fail(
      `TLS 1.3 is ${tls13?.finding ?? 'not reported'}, default protocol ${negotiated?.finding ?? 'not reported'}: TLS 1.3 must be offered and preferred`,
      negotiated?.severity,
    );

  const suites12 = entries.filter((e) => e.id.startsWith('cipher-tls1_2_'));
  if (suites12.length === 0) fail('no TLS 1.2 suite reported (was the per-protocol cipher check run?)');
  for (const e of suites12) {
    const name = suiteName(e.finding);
    if (!AEAD.test(name)) fail(`TLS 1.2 offers ${name}, which is not an AEAD suite`, e.severity);
  }

  const okCount = entries.filter((e) => e.severity === 'OK' || e.severity === 'INFO').length;
  return { target, findings, accepted, okCount, total: entries.length };
}
