/**
 * Schemathesis (from PyPI, pinned, in a venv scripts/bootstrap.sh makes) against the lab's cloud,
 * driven by the cloud's own OpenAPI document and run from inside a site desktop host (names
 * resolve, the lab CA is trusted). It runs once per role — no credential, a stranger (signed in,
 * not in the workspace), a member, an owner — with every workspace route aimed at a workspace the
 * checker makes, until the requests add up to LAB_FUZZ_REQUESTS (default 10,000). It fails on any
 * 5xx, any response that breaks the document (status, content type, body schema), any 2xx for a
 * caller whose role is below the route's access (judged by the Python check and again here from
 * the event stream), and an oversized body that does not get 413 with a JSON error.
 *
 * POST /v1/auth/sign-out is left out of the signed-in runs: it revokes the very bearer the run
 * uses, and every request after it would be a 401. The anonymous run does call it.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { createGzip } from 'node:zlib';
import { inviteAndAccept, routes, signUpAndIn } from '@multiclaw-lab/protocol';
import type { Evidence } from '../../model.ts';
import { type CheckerContext, type CheckerFinding, defineChecker } from '../checker.ts';
import { evidenceOf, evidencePath, execInHost, siteDesktopOf } from '../tools.ts';
import { accessByOperation, judgeRole, parseEvents, ROLES, type Role } from './events.ts';
import { checkOversizedBody } from './oversized.ts';

/** The version scripts/bootstrap.sh installs (a unit test keeps the two in step). */
export const SCHEMATHESIS_VERSION = '4.32.5';
const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
export const SCHEMATHESIS_VENV = join(REPO_ROOT, 'node_modules', '.cache', 'schemathesis-venv');
const HOOKS_DIR = fileURLToPath(new URL('.', import.meta.url));
const API = 'https://api.multiclaw.test';

/** How many requests in all: LAB_FUZZ_REQUESTS, for quicker local runs; 10,000 by default. */
export function requestTarget(env: NodeJS.ProcessEnv = process.env): number {
  const value = env.LAB_FUZZ_REQUESTS;
  if (value === undefined || value === '') return 10_000;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 100) throw new Error(`LAB_FUZZ_REQUESTS must be a whole number of at least 100, not ${value}`);
  return n;
}

/** Test cases schemathesis makes per `--max-examples` step over the cloud's routes (measured: about 25). */
const CASES_PER_EXAMPLE = 25;
const CHECKS = ['not_a_server_error', 'status_code_conformance', 'content_type_conformance', 'response_schema_conformance'];

/** `${NAME}`: schemathesis fills it in from the environment when it reads the config. */
const envRef = (name: string) => `$\{${name}}`;

/** The config of one role's run: its credential comes from the environment, never the file. */
export function roleConfig(role: Role): string {
  return [
    ...(role === 'anonymous' ? [] : [`headers = { Authorization = "Bearer ${envRef('MCLAB_BEARER')}" }`]),
    // schemathesis signs up and in by itself when it sees those routes: then no caller would be anonymous
    '[auth]',
    'auto-signup = false',
    '[parameters]',
    `"path.wid" = "${envRef('MCLAB_WID')}"`,
    '[generation]',
    // our credential, not generated ones; no example database carried between runs
    'with-security-parameters = false',
    'database = "none"',
    '',
  ].join('\n');
}

interface Accounts {
  wid: string;
  bearers: Record<Role, string>;
}

async function makeAccounts(ctx: CheckerContext): Promise<Accounts> {
  const api = ctx.lab.api;
  const tag = randomBytes(3).toString('hex');
  const account = (label: string) =>
    signUpAndIn(api, {
      email: `checker-${label}-${tag}@multiclaw.test`,
      password: `pw-${randomBytes(12).toString('base64url')}`,
      name: `checker ${label}`,
    });
  const [owner, member, stranger] = [await account('owner'), await account('member'), await account('stranger')];
  const { id: wid } = await api.request(routes.createWorkspace, { credential: owner.bearer, body: { name: `fuzzed ${tag}` } });
  await inviteAndAccept(api, { ownerBearer: owner.bearer, wid, member, role: 'member' });
  return { wid, bearers: { anonymous: '', stranger: stranger.bearer, member: member.bearer, owner: owner.bearer } };
}

export default defineChecker({
  id: 'schemathesis',
  title: "the cloud's API keeps its OpenAPI document and its roles under generated requests",
  claims: ['SO-14', 'SO-16'],
  timeoutMs: 900_000,
  async run(ctx) {
    const program = join(SCHEMATHESIS_VENV, 'bin', 'schemathesis');
    const version = await execInHost(ctx.lab, ctx.lab.topology.sites[0]?.desktops[0] ?? 'cloud', program, ['--version'], {
      timeoutMs: 30_000,
    }).catch(() => undefined);
    if (version?.code !== 0)
      return {
        status: 'skipped',
        summary: 'schemathesis is not installed',
        reason: `schemathesis ${SCHEMATHESIS_VERSION} is not in ${SCHEMATHESIS_VENV}: bash scripts/bootstrap.sh`,
        findings: [],
        evidence: [],
      };
    const site = siteDesktopOf(ctx);
    if ('none' in site) return site.none;
    const { from } = site;
    const target = requestTarget();
    const accounts = await makeAccounts(ctx);
    const openapi = await ctx.lab.api.raw('GET', '/v1/openapi.json');
    const access = accessByOperation(openapi.body as Parameters<typeof accessByOperation>[0]);
    const work = await mkdtemp(join(tmpdir(), 'mclab-schemathesis-'));
    const findings: CheckerFinding[] = [];
    const accepted: CheckerFinding[] = [];
    const evidence: Evidence[] = [];
    const perRole: Record<Role, { requests: number; byStatus: Record<string, number> }> = Object.fromEntries(
      ROLES.map((r) => [r, { requests: 0, byStatus: {} }]),
    ) as never;
    const total = () => ROLES.reduce((sum, r) => sum + perRole[r].requests, 0);
    const runRole = async (role: Role, round: number, examples: number) => {
      const seed = String(Number.parseInt(randomBytes(6).toString('hex'), 16));
      ctx.onProgress(`schemathesis: ${role}, round ${round}, ${examples} examples per operation (seed ${seed})`);
      const out = join(work, `${role}-${round}`);
      const config = join(work, `${role}.toml`);
      await writeFile(config, roleConfig(role));
      const args = [
        '--config-file',
        config,
        'run',
        `${API}/v1/openapi.json`,
        '--tls-verify',
        ctx.lab.hostFiles(from).trustBundle,
      ];
      args.push('--checks', [...CHECKS, 'refused_for_this_role'].join(','), '--max-examples', String(examples));
      // coverage (every documented status and edge value) once; then generated cases only
      args.push('--phases', round === 1 ? 'coverage,fuzzing' : 'fuzzing', '--seed', seed, '--workers', '1');
      if (role !== 'anonymous') args.push('--exclude-path', '/v1/auth/sign-out');
      args.push('--report', 'junit,ndjson', '--report-dir', out, '--report-ndjson-path', join(out, 'events.ndjson'));
      args.push('--report-junit-path', join(out, 'junit.xml'), '--no-color');
      const result = await execInHost(ctx.lab, from, program, args, {
        env: {
          MCLAB_ROLE: role,
          MCLAB_WID: accounts.wid,
          MCLAB_BEARER: accounts.bearers[role],
          SCHEMATHESIS_HOOKS: 'multiclaw_checks',
          PYTHONPATH: HOOKS_DIR,
        },
        timeoutMs: 300_000,
        // its example cache (.schemathesis/) goes there and away with it
        cwd: work,
      });
      const ndjson = await readFile(join(out, 'events.ndjson'), 'utf8').catch(() => undefined);
      if (ndjson === undefined) {
        const why = (result.stderr || result.stdout).trim().slice(-600);
        findings.push({ target: role, message: `schemathesis wrote no events (exit ${result.code}): ${why}` });
        return;
      }
      const run = parseEvents(ndjson);
      const verdict = judgeRole(role, run, access);
      findings.push(...verdict.findings);
      perRole[role].requests += verdict.requests;
      for (const [status, n] of Object.entries(verdict.byStatus))
        perRole[role].byStatus[status] = (perRole[role].byStatus[status] ?? 0) + n;
      // a Python error inside schemathesis cuts one operation's cases short: shown, not an API finding
      for (const e of run.toolErrors ?? [])
        accepted.push({
          target: e.operation,
          message: `${role}: schemathesis itself failed (${e.message}); that operation's remaining cases were not made`,
          severity: 'tool error',
        });
      if (result.code !== 0 && verdict.findings.length === 0 && !run.toolErrors)
        findings.push({
          target: role,
          message: `schemathesis exited ${result.code} without a failure we could read: ${result.stdout.trim().slice(-600)}`,
        });
      const gz = await evidencePath(ctx, 'schemathesis', `${role}-${round}-events.ndjson.gz`);
      await pipeline(createReadStream(join(out, 'events.ndjson')), createGzip(), createWriteStream(gz));
      evidence.push(
        await evidenceOf(ctx, gz, `schemathesis ${role} round ${round}: every request and check (NDJSON, gzip)`, 'text'),
      );
      const junit = await evidencePath(ctx, 'schemathesis', `${role}-${round}-junit.xml`);
      await writeFile(junit, await readFile(join(out, 'junit.xml'), 'utf8').catch(() => ''));
      evidence.push(await evidenceOf(ctx, junit, `schemathesis ${role} round ${round}: JUnit`, 'text'));
    };
    try {
      for (let round = 1; round <= 3 && total() < target; round++) {
        const missing = target - total();
        const examples = Math.max(5, Math.ceil(missing / ROLES.length / CASES_PER_EXAMPLE));
        // one process per role, side by side: schemathesis' own worker threads trip a CPython 3.11
        // bug in the ast module ("AST constructor recursion depth mismatch"), processes do not
        await Promise.all(ROLES.map((role) => runRole(role, round, examples)));
      }
      const oversized = await checkOversizedBody(ctx, from, accounts.bearers.owner, accounts.wid);
      findings.push(...oversized.findings);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
    if (total() < target)
      findings.push({ target: 'schemathesis', message: `made ${total()} requests, fewer than the ${target} asked for` });
    const summaryFile = await evidencePath(ctx, 'schemathesis', 'summary.json');
    await writeFile(
      summaryFile,
      `${JSON.stringify({ version: SCHEMATHESIS_VERSION, target, workspace: accounts.wid, perRole }, null, 2)}\n`,
    );
    evidence.sort((x, y) => x.path.localeCompare(y.path));
    evidence.unshift(await evidenceOf(ctx, summaryFile, 'schemathesis: requests and statuses per role', 'json'));
    const roles = ROLES.map((r) => `${r} ${perRole[r].requests}`).join(', ');
    return {
      status: findings.length === 0 ? 'passed' : 'failed',
      summary: `schemathesis ${SCHEMATHESIS_VERSION}: ${total()} requests (${roles}) from ${from}; oversized body checked; ${findings.length} failing`,
      findings,
      accepted,
      evidence,
    };
  },
});
