/**
 * A small run for the report's tests: one passed, one failed and one skipped scenario; a claim
 * of each status (the skipped scenario's claim is untested); a canary hit; and hostile text (markup, quotes, ANSI codes, control
 * characters) wherever a log line or a sentence could carry it.
 */
import type { Claim, RunResults, ScenarioResult } from '../model.ts';
import { claimResults } from '../model.ts';

export const INJECTED_SCRIPT = '<script>window.__pwned = "script"</script>';
export const INJECTED_IMG = '<img src="injected.png" onerror="window.__pwned = \'img\'">';
export const FAILURE_MESSAGE = 'expected close code 4401 but got 1006 <from "cloud">';

const claims: Claim[] = [
  {
    id: 'NS-01',
    page: 'network-security',
    section: 'Desktop app to MultiClaw Cloud',
    sentence: 'The desktop app reconnects automatically & re-authenticates with its bearer token.',
    testable: true,
  },
  {
    id: 'CS-05',
    page: 'credentials-and-secrets',
    section: 'WebSocket session tokens',
    sentence: 'User WSS tokens expire after 4 hours; "daemon" tokens after <24 hours>.',
    testable: true,
  },
  {
    id: 'DE-03',
    page: 'data-encryption',
    section: 'Encryption in transit',
    sentence: 'All traffic uses TLS 1.2 or newer.',
    testable: true,
  },
  {
    id: 'DE-09',
    page: 'data-encryption',
    section: 'Enable full-disk encryption',
    sentence: 'Enable FileVault or BitLocker on your device.',
    testable: false,
    reason: "the user's own laptop disk is outside the lab",
  },
];

const passed: ScenarioResult = {
  id: 'S01',
  title: 'Desktop WSS dropped → reconnects by itself',
  status: 'passed',
  durationMs: 4321,
  claims: ['NS-01'],
  tags: ['reconnect', 'network'],
  needs: ['toxiproxy'],
  seed: 1001,
  metrics: [{ name: 'reconnect time', value: 1234.5, unit: 'ms' }],
  timeline: [
    { time: '2026-11-22T10:00:01.000Z', source: 'scenario', event: 'fault.reset', fields: { link: 's1' } },
    {
      time: '2026-11-22T10:00:01.250Z',
      source: 'desktop-sim-1',
      event: 'ws.closed',
      fields: { code: 1006, reason: INJECTED_SCRIPT, note: INJECTED_IMG },
    },
    { time: '2026-11-22T10:00:02.234Z', source: 'desktop-sim-1', event: 'ws.welcomed', fields: { attempt: 2 } },
  ],
  evidence: [
    { name: 'desktop log', path: 'evidence/S01-desktop.log', kind: 'log' },
    { name: 'site capture', path: 'evidence/S01-site.pcap', kind: 'pcap' },
    { name: 'never written', path: 'evidence/S01-missing.json', kind: 'json' },
  ],
};

const failed: ScenarioResult = {
  id: 'S02',
  title: 'User WSS token refused after 4 h',
  status: 'failed',
  durationMs: 987,
  claims: ['CS-05'],
  tags: ['tokens'],
  needs: ['clock'],
  seed: 1002,
  error: {
    message: `\u001b[31m${FAILURE_MESSAGE}\u001b[39m`,
    stack: `AssertionError: ${FAILURE_MESSAGE}\n    at scenarios/src/scenarios/tokens.ts:42:7\u0000`,
  },
  metrics: [],
  timeline: [{ time: '2026-11-22T10:00:05.000Z', source: 'scenario', event: 'clock.moved', fields: { hours: 4.1 } }],
  evidence: [],
};

const skipped: ScenarioResult = {
  id: 'S03',
  title: 'DPI re-signing fails closed',
  status: 'skipped',
  durationMs: 0,
  claims: ['DE-03'],
  tags: ['tls'],
  needs: ['dpi'],
  seed: 1003,
  skipReason: 'mitmproxy is not installed',
  metrics: [],
  timeline: [],
  evidence: [],
};

export function syntheticResults(runId = '2026-11-22T10-00-00Z-test'): RunResults {
  const scenarios = [passed, failed, skipped];
  return {
    runId,
    startedAt: '2026-11-22T10:00:00.000Z',
    finishedAt: '2026-11-22T10:00:07.500Z',
    driver: 'netns',
    seed: 42,
    scenarios,
    claims: claimResults(claims, scenarios),
    canary: {
      planted: 5,
      filesScanned: 37,
      hits: [{ file: 'state/cloud/cloud.log', label: 'LLM key <sk-lab-1>' }],
    },
  };
}

/** The reason a driver limit gives (driver-limits.ts), as the runner words a skip. */
export const DOCKER_SKIP_REASON =
  'the docker driver cannot provide browser: docker exec hands a program only stdin, stdout and stderr';

/**
 * The same suite on the docker driver: S01 skipped there (so NS-01, verified on netns, is
 * untested on docker), S02 passed (CS-05, failed on netns, verified), S03 skipped as on netns.
 */
export function syntheticDockerResults(runId = '2026-11-23T09-30-00Z-docker'): RunResults {
  const { error: _netnsError, ...failedOnNetns } = failed;
  const scenarios: ScenarioResult[] = [
    { ...passed, status: 'skipped', durationMs: 0, skipReason: DOCKER_SKIP_REASON, metrics: [], timeline: [], evidence: [] },
    { ...failedOnNetns, status: 'passed', durationMs: 1200 },
    skipped,
  ];
  return {
    ...syntheticResults(runId),
    startedAt: '2026-11-23T09:30:00.000Z',
    finishedAt: '2026-11-23T09:30:04.000Z',
    driver: 'docker',
    scenarios,
    claims: claimResults(claims, scenarios),
    canary: { planted: 5, filesScanned: 30, hits: [] },
  };
}
