/**
 * testssl.sh (Debian's, 3.0.x) against every TLS endpoint of the lab's internet, from a site
 * desktop host: what a client of MultiClaw is offered. It trusts the host's trust store (the lab
 * CA), makes no DNS lookup (the host's /etc/hosts names the endpoints) and no request to anything
 * outside the lab (no OCSP, CRL or CAA look-ups), and runs only the checks that judge the policy:
 * protocols, ciphers per protocol, server defaults and certificate, forward secrecy, server
 * preference and a few cheap vulnerability checks. judge.ts decides what fails.
 */
import { readFile, rm } from 'node:fs/promises';
import { PUBLIC_NAMES } from '@multiclaw-lab/network';
import { type CheckerFinding, defineChecker } from '../checker.ts';
import { evidenceOf, evidencePath, execInHost, findProgram, inBatches, siteDesktopOf } from '../tools.ts';
import { judgeEndpoint, parseTestsslJson } from './judge.ts';

/** Every TLS endpoint a MultiClaw client talks to (coturn's TLS listener is on 443 too). */
export const TLS_ENDPOINTS = [
  `${PUBLIC_NAMES.api}:443`,
  `${PUBLIC_NAMES.cdn}:443`,
  `${PUBLIC_NAMES.llm}:443`,
  `${PUBLIC_NAMES.turn}:443`,
] as const;

/**
 * -p protocols, -E ciphers per protocol, -S server defaults (certificate), -f forward secrecy,
 * -P server preference (the default protocol), then heartbleed, CCS, renegotiation, CRIME,
 * POODLE, fallback SCSV, SWEET32, FREAK, LOGJAM, BEAST, LUCKY13, RC4.
 */
const CHECKS = ['-p', '-E', '-S', '-f', '-P', '-H', '-I', '-R', '-C', '-O', '-Z', '-W', '-F', '-J', '-A', '-L', '-4'];

/**
 * The lab's certificates live 30 days (a lab lives hours): testssl's default warnings at 60 and
 * 30 days left would rate every fresh lab certificate. Two days left is what would matter here.
 */
const EXPIRY_WARNINGS = { DAYS2WARN1: '7', DAYS2WARN2: '2' };

export default defineChecker({
  id: 'testssl',
  title: 'every TLS endpoint offers TLS 1.2 at minimum, prefers 1.3, and only AEAD suites on 1.2',
  claims: ['NS-10', 'NS-57', 'SO-20', 'DE-29'],
  timeoutMs: 420_000,
  async run(ctx) {
    const program = findProgram('testssl') ?? findProgram('testssl.sh');
    if (!program)
      return {
        status: 'skipped',
        summary: 'testssl.sh is not installed',
        reason: 'testssl.sh is not installed: pnpm lab doctor --install (Debian package testssl.sh)',
        findings: [],
        evidence: [],
      };
    const { lab } = ctx;
    const site = siteDesktopOf(ctx);
    if ('none' in site) return site.none;
    const { from } = site;
    const trust = lab.hostFiles(from).trustBundle;
    const runs = await inBatches(TLS_ENDPOINTS, 2, async (endpoint) => {
      const file = await evidencePath(ctx, 'testssl', `${endpoint.replace(/[^a-z0-9.-]/gi, '-')}.json`);
      await rm(file, { force: true });
      ctx.onProgress(`testssl: ${endpoint} from ${from}`);
      const args = ['--quiet', '--color', '0', '--warnings', 'off', '--nodns', 'none', '--add-ca', trust];
      args.push('--connect-timeout', '10', '--openssl-timeout', '10', '--jsonfile', file, ...CHECKS, `https://${endpoint}`);
      const result = await execInHost(lab, from, program, args, { env: EXPIRY_WARNINGS, timeoutMs: 300_000 });
      const text = await readFile(file, 'utf8').catch(() => undefined);
      if (text === undefined)
        return {
          endpoint,
          file,
          verdict: undefined,
          error: `testssl wrote no JSON (exit ${result.code}): ${(result.stderr || result.stdout).trim().slice(-400)}`,
        };
      return { endpoint, file, verdict: judgeEndpoint(endpoint, parseTestsslJson(text)) };
    });

    const findings: CheckerFinding[] = [];
    const accepted: CheckerFinding[] = [];
    const evidence = [];
    let ok = 0;
    for (const run of runs) {
      if (!run.verdict) {
        findings.push({ target: run.endpoint, message: run.error ?? 'testssl failed' });
        continue;
      }
      evidence.push(await evidenceOf(ctx, run.file, `testssl ${run.endpoint}`, 'json'));
      findings.push(...run.verdict.findings);
      accepted.push(...run.verdict.accepted);
      ok += run.verdict.okCount;
    }
    return {
      status: findings.length === 0 ? 'passed' : 'failed',
      summary: `${TLS_ENDPOINTS.length} endpoints from ${from}: ${ok} findings rated OK or INFO, ${accepted.length} accepted with a reason, ${findings.length} failing`,
      findings,
      accepted,
      evidence,
    };
  },
});
