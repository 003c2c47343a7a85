/**
 * Schemathesis' NDJSON event stream (`--report ndjson`), read for the checker: every request it
 * made (each test case's operation, the response status), every check that failed, and — judged
 * here again, independently of the Python hook — every 2xx a caller got from a route its role may
 * not use. Pure, so recorded streams test it.
 */
import type { CheckerFinding } from '../checker.ts';

/** Who made the requests: no credential, a signed-in account outside the workspace, a member, an owner. */
export type Role = 'anonymous' | 'stranger' | 'member' | 'owner';
export const ROLES: readonly Role[] = ['anonymous', 'stranger', 'member', 'owner'];

/** The route table's `access` (the OpenAPI document's `x-access`), from least to most. */
const ACCESS_RANK: Record<string, number> = { anyone: 0, 'signed-in': 1, member: 2, owner: 3 };
const ROLE_RANK: Record<Role, number> = { anonymous: 0, stranger: 1, member: 2, owner: 3 };

export interface Exchange {
  /** "GET /v1/workspaces/{wid}" */
  operation: string;
  status: number;
}

export interface FailedCheck {
  check: string;
  operation: string;
  message: string;
}

export interface SchemathesisRun {
  exchanges: Exchange[];
  failedChecks: FailedCheck[];
  /** errors inside schemathesis itself (one operation's cases cut short), not answers of the API */
  toolErrors?: Array<{ operation: string; message: string }>;
  /** the engine's reason for stopping ("completed"), when it got that far */
  stopReason?: string;
}

interface Recorder {
  cases?: Record<string, { value?: { method?: string; path?: string } }>;
  interactions?: Record<string, { request?: { method?: string }; response?: { status_code?: number } | null }>;
  checks?: Record<
    string,
    Array<{ name: string; status: string; failure_info?: { failure?: { operation?: string; title?: string; message?: string } } }>
  >;
}

export function parseEvents(ndjson: string): SchemathesisRun {
  const exchanges: Exchange[] = [];
  const failedChecks: FailedCheck[] = [];
  let stopReason: string | undefined;
  const toolErrors: Array<{ operation: string; message: string }> = [];
  for (const line of ndjson.split('\n')) {
    if (!line.trim()) continue;
    const event = JSON.parse(line) as Record<
      string,
      { recorder?: Recorder; stop_reason?: string; label?: string; value?: { type?: string; message?: string } }
    >;
    const [kind, body] = Object.entries(event)[0] ?? [];
    if (kind === 'EngineFinished') stopReason = body?.stop_reason;
    if (kind === 'NonFatalError')
      toolErrors.push({
        operation: body?.label ?? '?',
        message: `${body?.value?.type ?? 'Error'}: ${body?.value?.message ?? ''}`,
      });
    if (kind !== 'ScenarioFinished' || !body?.recorder) continue;
    const { cases = {}, interactions = {}, checks = {} } = body.recorder;
    for (const [id, interaction] of Object.entries(interactions)) {
      const value = cases[id]?.value;
      const operation = `${value?.method ?? interaction.request?.method ?? '?'} ${value?.path ?? '?'}`;
      // a request that got no response at all (a reset, a timeout) is status 0
      exchanges.push({ operation, status: interaction.response?.status_code ?? 0 });
    }
    for (const list of Object.values(checks)) {
      for (const c of list) {
        if (c.status === 'success' || c.status === 'skip') continue;
        const failure = c.failure_info?.failure;
        failedChecks.push({
          check: c.name,
          operation: failure?.operation ?? '?',
          message: failure?.message || failure?.title || c.status,
        });
      }
    }
  }
  return { exchanges, failedChecks, ...(toolErrors.length ? { toolErrors } : {}), ...(stopReason ? { stopReason } : {}) };
}

/** operation ("GET /v1/me") → its `x-access`, from the OpenAPI document. */
export function accessByOperation(openapi: {
  paths?: Record<string, Record<string, { 'x-access'?: string }>>;
}): Map<string, string> {
  const map = new Map<string, string>();
  for (const [path, methods] of Object.entries(openapi.paths ?? {}))
    for (const [method, op] of Object.entries(methods)) map.set(`${method.toUpperCase()} ${path}`, op['x-access'] ?? 'anyone');
  return map;
}

export interface RoleVerdict {
  requests: number;
  byStatus: Record<string, number>;
  findings: CheckerFinding[];
}

/**
 * Fails on: a 5xx or no response at all; a check schemathesis reported failed; a 2xx for a
 * caller whose role is below the route's access (every workspace route is aimed at the
 * checker's own workspace, so "member" and "owner" mean of that workspace).
 */
export function judgeRole(role: Role, run: SchemathesisRun, access: ReadonlyMap<string, string>): RoleVerdict {
  const findings: CheckerFinding[] = [];
  const byStatus: Record<string, number> = {};
  const seen = new Set<string>();
  const once = (finding: CheckerFinding) => {
    const key = `${finding.target} ${finding.severity} ${finding.message}`;
    if (!seen.has(key)) {
      seen.add(key);
      findings.push(finding);
    }
  };
  for (const { operation, status } of run.exchanges) {
    byStatus[String(status)] = (byStatus[String(status)] ?? 0) + 1;
    if (status >= 500 || status === 0)
      once({
        target: operation,
        message: `${role}: ${status === 0 ? 'no response' : `answered ${status}`}`,
        severity: 'server error',
      });
    const needed = access.get(operation);
    if (status >= 200 && status < 300 && needed !== undefined && ROLE_RANK[role] < (ACCESS_RANK[needed] ?? 3))
      once({ target: operation, message: `${role} got ${status}, but the route is for ${needed} only`, severity: 'access' });
  }
  for (const f of run.failedChecks) once({ target: f.operation, message: `${role}: ${f.message}`, severity: f.check });
  return { requests: run.exchanges.length, byStatus, findings };
}
