/**
 * JUnit XML in the shape Jenkins, GitLab, GitHub test reporters and Azure read: a <testsuites>
 * root with ONE <testsuite> (the run), one <testcase> per scenario, one more for the secret
 * canary scan so that a leaked secret fails the run in CI's own view too, and one per whole-run
 * checker (testssl, nmap, schemathesis).
 */

import { xmlAttr, xmlText } from '@multiclaw-lab/kit';
import type { CheckerResult } from '../checkers/checker.ts';
import type { RunResults, ScenarioResult } from '../model.ts';

export const CANARY_TESTCASE = { classname: 'canary', name: 'secret canary scan' } as const;

const seconds = (ms: number) => (Math.max(0, ms) / 1000).toFixed(3);

function attrs(values: Record<string, string | number>): string {
  return Object.entries(values)
    .map(([k, v]) => ` ${k}="${xmlAttr(String(v))}"`)
    .join('');
}

function properties(entries: Array<[string, string]>, indent: string): string {
  if (entries.length === 0) return '';
  const rows = entries.map(([name, value]) => `${indent}  <property${attrs({ name, value })}/>`);
  return `${indent}<properties>\n${rows.join('\n')}\n${indent}</properties>\n`;
}

/** The error's class as the first word of its stack ("AssertionError: ...") when there is one. */
function errorType(stack: string | undefined): string {
  const first = stack?.split('\n', 1)[0] ?? '';
  return /^([A-Za-z_$][\w$]*(?:Error|Exception))\b/.exec(first)?.[1] ?? 'Error';
}

function scenarioProperties(s: ScenarioResult): Array<[string, string]> {
  return [
    ...s.claims.map((c): [string, string] => ['claim', c]),
    ...s.tags.map((t): [string, string] => ['tag', t]),
    ...s.needs.map((n): [string, string] => ['needs', n]),
    ['seed', String(s.seed)],
    ...s.metrics.map((m): [string, string] => [`metric.${m.name}`, `${m.value} ${m.unit}`.trim()]),
  ];
}

function scenarioTestcase(s: ScenarioResult): string {
  const head = `    <testcase${attrs({ classname: s.tags[0] ?? 'scenario', name: `${s.id}: ${s.title}`, time: seconds(s.durationMs) })}>\n`;
  let body = properties(scenarioProperties(s), '      ');
  if (s.status === 'failed') {
    const message = s.error?.message ?? 'the scenario failed without recording an error';
    const detail = s.error?.stack ?? message;
    body += `      <failure${attrs({ message, type: errorType(s.error?.stack) })}>${xmlText(detail)}</failure>\n`;
  } else if (s.status === 'skipped') {
    body += `      <skipped${attrs({ message: s.skipReason ?? 'skipped' })}/>\n`;
  }
  return `${head}${body}    </testcase>\n`;
}

function canaryTestcase(results: RunResults): string {
  const { planted, filesScanned, hits } = results.canary;
  const head = `    <testcase${attrs({ ...CANARY_TESTCASE, time: '0.000' })}>\n`;
  let body = properties(
    [
      ['planted', String(planted)],
      ['filesScanned', String(filesScanned)],
    ],
    '      ',
  );
  if (hits.length > 0) {
    const message = `${hits.length} plaintext secret(s) found in the run's artifacts`;
    const detail = hits.map((h) => `${h.label} in ${h.file}`).join('\n');
    body += `      <failure${attrs({ message, type: 'SecretLeak' })}>${xmlText(detail)}</failure>\n`;
  }
  return `${head}${body}    </testcase>\n`;
}

/** One testcase per whole-run checker: failed, or skipped (with why) when it had nothing to judge. */
function checkerTestcase(c: CheckerResult): string {
  const head = `    <testcase${attrs({ classname: 'checker', name: `${c.id}: ${c.title}`, time: seconds(c.durationMs) })}>\n`;
  let body = properties(
    [
      ...c.claims.map((claim): [string, string] => ['claim', claim]),
      ['summary', c.summary],
      ...c.evidence.map((e): [string, string] => ['evidence', e.path]),
    ],
    '      ',
  );
  if (c.status === 'failed') {
    const detail = c.findings.map((f) => `${f.target}: ${f.message}${f.severity ? ` [${f.severity}]` : ''}`).join('\n');
    body += `      <failure${attrs({ message: c.summary, type: 'CheckerFinding' })}>${xmlText(detail)}</failure>\n`;
  } else if (c.status !== 'passed') {
    body += `      <skipped${attrs({ message: `${c.status}: ${c.reason ?? c.summary}` })}/>\n`;
  }
  return `${head}${body}    </testcase>\n`;
}

export function renderJunit(results: RunResults): string {
  const checkers = results.checkers ?? [];
  const failures =
    results.scenarios.filter((s) => s.status === 'failed').length +
    (results.canary.hits.length > 0 ? 1 : 0) +
    checkers.filter((c) => c.status === 'failed').length;
  const skipped =
    results.scenarios.filter((s) => s.status === 'skipped').length +
    checkers.filter((c) => c.status === 'skipped' || c.status === 'not-enough-evidence').length;
  const counts = {
    tests: results.scenarios.length + 1 + checkers.length,
    failures,
    errors: 0,
    skipped,
    time: seconds(Date.parse(results.finishedAt) - Date.parse(results.startedAt) || 0),
  };
  const runProperties = properties(
    [
      ['runId', results.runId],
      ['driver', results.driver],
      ['seed', String(results.seed)],
      ...(results.shard ? ([['shard', `${results.shard.index}/${results.shard.total}`]] as Array<[string, string]>) : []),
      ['startedAt', results.startedAt],
      ['finishedAt', results.finishedAt],
    ],
    '    ',
  );
  return [
    '<?xml version="1.0" encoding="UTF-8"?>\n',
    `<testsuites${attrs({ name: 'multiclaw-lab', ...counts })}>\n`,
    `  <testsuite${attrs({ name: `multiclaw-lab run ${results.runId}`, ...counts, timestamp: results.startedAt })}>\n`,
    runProperties,
    ...results.scenarios.map(scenarioTestcase),
    canaryTestcase(results),
    ...checkers.map(checkerTestcase),
    '  </testsuite>\n',
    '</testsuites>\n',
  ].join('');
}
