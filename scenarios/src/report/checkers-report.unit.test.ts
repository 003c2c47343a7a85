import { describe, expect, it } from 'vitest';
import type { CheckerResult } from '../checkers/checker.ts';
import { summarize } from '../run-suite.ts';
import { renderHtml, renderJunit, runPassed } from './index.ts';
import { syntheticResults } from './synthetic-results.ts';

const passed: CheckerResult = {
  id: 'testssl',
  title: 'testssl.sh: TLS 1.2 at minimum',
  claims: ['NS-57'],
  status: 'passed',
  durationMs: 61_000,
  summary: '4 endpoints, 300 findings rated OK or INFO',
  findings: [],
  accepted: [{ target: 'api.multiclaw.test:443', message: 'cert_revocation: no CRL — accepted: the lab CA has none' }],
  evidence: [{ name: 'testssl api', path: 'evidence/checker-testssl-api.json', kind: 'json' }],
};
const failed: CheckerResult = {
  ...passed,
  id: 'nmap',
  title: 'nmap: only the documented ports are open',
  status: 'failed',
  summary: '1 undocumented port',
  findings: [
    {
      target: 's1-d1 (198.19.1.11) from s1-nb: 40950/tcp',
      message: 'open, but the pages document <none>',
      severity: 'undocumented',
    },
  ],
  accepted: [],
};

describe('checkers in the report', () => {
  const clean = { ...syntheticResults(), scenarios: [], claims: [], canary: { planted: 1, filesScanned: 1, hits: [] } };

  it('give one JUnit testcase each, failing with the findings', () => {
    const xml = renderJunit({ ...clean, checkers: [passed, failed] });
    expect(xml).toContain('<testcase classname="checker" name="testssl: testssl.sh: TLS 1.2 at minimum" time="61.000">');
    expect(xml).toMatch(
      /<testcase classname="checker" name="nmap: [^"]*"[^>]*>[\s\S]*<failure message="1 undocumented port" type="CheckerFinding">s1-d1 \(198\.19\.1\.11\) from s1-nb: 40950\/tcp: open, but the pages document &lt;none&gt; \[undocumented\]<\/failure>/,
    );
    expect(xml).toMatch(/<testsuites name="multiclaw-lab" tests="3" failures="1"/);
  });

  it('fail the run, in the page, the summary and the list of failures', () => {
    const results = { ...clean, checkers: [passed, failed] };
    expect(runPassed({ ...clean, checkers: [passed] })).toBe(true);
    expect(runPassed(results)).toBe(false);
    const summary = summarize(results, '/r');
    expect(summary.checkersFailed).toBe(1);
    expect(summary.failures).toContainEqual({ id: 'checker nmap', message: '1 undocumented port' });
    const page = renderHtml(results);
    expect(page).toContain('<section id="checkers">');
    expect(page).toContain('href="evidence/checker-testssl-api.json"');
    expect(page).toContain('accepted: the lab CA has none');
    expect(page).toContain('open, but the pages document &lt;none&gt;');
    expect(page).toContain('RUN FAILED');
  });

  it('say when no checker ran', () => {
    expect(renderHtml(clean)).toContain('No checker ran in this run');
  });
});
