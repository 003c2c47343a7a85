/**
 * Runs scenarios against a lab, one at a time, each from a known state: faults healed, every
 * clock back to real time, every service running. Collects per-scenario results with a merged
 * timeline, and at the end runs the secret canary scan.
 */
import { createHash, randomInt } from 'node:crypto';
import { mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLOUD_GROUP, type Lab } from '@multiclaw-lab/core';
import { LabError } from '@multiclaw-lab/kit';
import { CONTRADICTIONS } from '../claims/contradictions.ts';
import { canaryVerdict, dumpDatabase, scanForSecrets } from './canary.ts';
import type { CheckerContext, CheckerResult } from './checkers/checker.ts';
import { ClaimCheckFailed, ScenarioContext } from './context.ts';
import type { Capability, ScenarioDefinition } from './define.ts';
import { capabilitiesOf, limitReason } from './driver-limits.ts';
import { type Claim, claimResults, type RunResults, type ScenarioFailure, type ScenarioResult } from './model.ts';
import { mergedTimeline } from './timeline.ts';

export interface RunnerOptions {
  seed?: number;
  /** capabilities the lab's driver offers (netns: all) */
  capabilities?: readonly Capability[];
  onProgress?: (text: string) => void;
}

function scenarioSeed(runSeed: number, id: string): number {
  return createHash('sha256').update(`${runSeed}:${id}`).digest().readUInt32BE(0);
}

export class ScenarioRunner {
  readonly lab: Lab;
  readonly seed: number;
  readonly runId: string;
  readonly startedAt = new Date().toISOString();
  readonly results: ScenarioResult[] = [];
  readonly planted = new Map<string, string>();
  /** planted secret → files where it is documented to lie in plaintext (the canary scan skips exactly those) */
  readonly allowedIn = new Map<string, string[]>();
  readonly evidenceDir: string;
  /** captures of every site router's internet side, for the whole run (the egress audit reads them) */
  readonly egressCaptures: Array<{ site: string; file: string; stop: () => Promise<string> }> = [];
  readonly #capabilities: readonly Capability[];
  readonly #progress: (text: string) => void;

  constructor(lab: Lab, evidenceDir: string, options: RunnerOptions = {}) {
    this.lab = lab;
    this.seed = options.seed ?? randomInt(1, 2 ** 31 - 1);
    this.runId = `${this.startedAt.replace(/[:.]/g, '-')}-${this.seed}`;
    this.evidenceDir = evidenceDir;
    this.#capabilities = options.capabilities ?? capabilitiesOf(lab.driver.name);
    this.#progress = options.onProgress ?? (() => undefined);
  }

  static async create(lab: Lab, options: RunnerOptions = {}): Promise<ScenarioRunner> {
    const evidenceDir = await mkdtemp(join(tmpdir(), 'mclab-evidence-'));
    const runner = new ScenarioRunner(lab, evidenceDir, options);
    for (const site of lab.topology.sites) {
      const file = join(evidenceDir, `egress-${site.id}.pcap`);
      // a router that is no machine (a NAT gateway) cannot capture: the egress audit then says
      // it lacked evidence, in the report, rather than judging nothing
      const capture = await lab.driver.capture(site.router, 'wan', { file }).catch((err: unknown) => {
        if (err instanceof LabError && err.code === 'LAB_UNSUPPORTED') {
          options.onProgress?.(`no egress capture of site ${site.id}: ${(err as Error).message}`);
          return undefined;
        }
        throw err;
      });
      if (capture) runner.egressCaptures.push({ site: site.id, file, stop: () => capture.stop() });
    }
    return runner;
  }

  /** Why this lab cannot run the scenario, or undefined when it can. */
  #unmet(def: ScenarioDefinition): string | undefined {
    const missing = def.needs.filter((n) => !this.#capabilities.includes(n));
    if (missing.length > 0)
      return `the ${this.lab.driver.name} driver cannot provide ${limitReason(this.lab.driver.name, missing)}`;
    const wanted = def.desktopHosts ?? 1;
    const have = this.lab.topology.sites.find((s) => s.id === 's1')?.desktops.length ?? 0;
    if (have < wanted) {
      return `needs ${wanted} desktop hosts on site s1, this lab has ${have}: pnpm lab down && pnpm lab up --desktops ${wanted}`;
    }
    const clouds = def.cloudInstances ?? 1;
    const running = this.lab.serviceGroup(CLOUD_GROUP).length;
    if (running < clouds) {
      return `needs ${clouds} cloud instances behind the load balancer, this lab has ${running}: pnpm lab down && pnpm lab up --cloud-instances ${clouds}`;
    }
    return undefined;
  }

  /** Puts the lab back to a known state between scenarios. */
  async #reset(): Promise<void> {
    await this.lab.setClock('all', 0);
    for (const [id, s] of this.lab.services) {
      // a followed service (a deployed stack's) is not the lab's to restart
      if (!s.handle.running && !s.def.external && !['mitmproxy', 'squid'].includes(s.def.kind)) {
        this.#progress(`restarting ${id}, left stopped by an earlier scenario`);
        await this.lab.restart(id);
      }
    }
  }

  /** Runs one scenario; never throws: the outcome is in the returned result. */
  async run(def: ScenarioDefinition): Promise<ScenarioResult> {
    const seed = scenarioSeed(this.seed, def.id);
    const base = { id: def.id, title: def.title, claims: def.claims, tags: def.tags, needs: def.needs, seed };
    const skipReason = this.#unmet(def);
    if (skipReason) {
      const skipped: ScenarioResult = {
        ...base,
        status: 'skipped',
        durationMs: 0,
        skipReason,
        metrics: [],
        timeline: [],
        evidence: [],
      };
      this.results.push(skipped);
      this.#progress(`${def.id}: skipped, ${skipReason}`);
      return skipped;
    }
    await this.#reset();
    this.#progress(`${def.id}: ${def.title}`);
    const ctx = this.#context(def.id, def.claims);
    const from = Date.now();
    let error: Error | undefined;
    let failure: ScenarioFailure | undefined;
    const timeoutMs = def.timeoutMs ?? 120_000;
    let timer: NodeJS.Timeout | undefined;
    const outOfTime = new Error(`scenario ${def.id} did not finish within ${timeoutMs} ms`);
    try {
      await Promise.race([
        def.run(ctx),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(outOfTime), timeoutMs);
        }),
      ]);
    } catch (err) {
      error = err instanceof Error ? err : new Error(String(err));
      failure =
        err instanceof ClaimCheckFailed
          ? { kind: 'check', step: err.step, claims: [...err.claims] }
          : { kind: err === outOfTime ? 'timeout' : 'setup' };
    } finally {
      clearTimeout(timer);
    }
    const cleanupErrors = await ctx.close();
    if (!error && cleanupErrors.length > 0) {
      error = new Error(`cleanup failed: ${cleanupErrors.map((e) => e.message).join('; ')}`);
      failure = { kind: 'setup' };
    }
    const unchecked = def.claims.filter((c) => !ctx.checked.has(c));
    if (!error && unchecked.length > 0) {
      error = new Error(`the scenario declares ${unchecked.join(', ')} but no check of it judged them`);
      failure = { kind: 'unchecked', claims: unchecked };
    }
    const to = Date.now();
    const result: ScenarioResult = {
      ...base,
      status: error ? 'failed' : 'passed',
      durationMs: to - from,
      ...(error ? { error: { message: error.message, ...(error.stack ? { stack: error.stack } : {}) } } : {}),
      ...(failure ? { failure } : {}),
      checked: def.claims.filter((c) => ctx.checked.has(c)),
      metrics: ctx.metrics,
      timeline: mergedTimeline(this.lab, ctx.steps, from - 200, to + 200),
      evidence: ctx.evidence,
    };
    this.results.push(result);
    this.#progress(`${def.id}: ${result.status} (${result.durationMs} ms)${error ? `: ${error.message}` : ''}`);
    return result;
  }

  /**
   * What a whole-run checker gets: the lab, the run's evidence folder, the scenarios that ran,
   * and a scenario's toolkit for checkers that drive the lab (the egress audit), whose secrets are
   * planted for this run's canary and whose checks see the run-wide captures.
   */
  checkerContext(): CheckerContext {
    return {
      lab: this.lab,
      evidenceDir: this.evidenceDir,
      scenariosRun: this.results.filter((r) => r.status !== 'skipped').map((r) => r.id),
      onProgress: this.#progress,
      scenarioContext: (id, claims) => this.#context(id, claims),
    };
  }

  /** A fresh context for `id`: its own seed, the run's planted secrets, evidence folder and captures. */
  #context(id: string, claims: readonly string[]): ScenarioContext {
    return new ScenarioContext({
      lab: this.lab,
      id,
      claims,
      seed: scenarioSeed(this.seed, id),
      planted: this.planted,
      allowedIn: this.allowedIn,
      evidenceDir: this.evidenceDir,
      egressCaptures: this.egressCaptures.map((c) => ({ site: c.site, file: c.file })),
    });
  }

  /**
   * Stops the captures, runs the canary scan (state folder, evidence, a database dump) and joins
   * the claims with what judged them: the scenarios and the whole-run checkers that ran.
   */
  async finish(claims: Claim[], checkers: CheckerResult[] = []): Promise<RunResults> {
    await mkdir(this.evidenceDir, { recursive: true });
    const scanStarted = Date.now();
    for (const c of this.egressCaptures) await c.stop().catch(() => undefined);
    const dumped = await dumpDatabase(this.lab, join(this.evidenceDir, 'database-dump.sql')).catch(() => false);
    if (!dumped) this.#progress('warning: the database could not be dumped for the canary scan');
    // hosts that are not folders of this machine are copied here first (into the state folder)
    const copied = this.lab.remote
      ? await this.lab.remote.copyHostFolders().then(
          () => true,
          () => false,
        )
      : true;
    if (!copied) this.#progress("warning: the hosts' folders could not be copied for the canary scan");
    const canary = await scanForSecrets(this.planted, [this.lab.stateDir, this.evidenceDir], this.allowedIn);
    if (!dumped) canary.hits.push({ file: '(database dump)', label: 'the database could not be dumped, so it was not scanned' });
    if (!copied)
      canary.hits.push({ file: '(host folders)', label: "the hosts' folders could not be copied, so they were not scanned" });
    const judges = [...checkers, canaryVerdict(canary, Date.now() - scanStarted)];
    return {
      runId: this.runId,
      startedAt: this.startedAt,
      finishedAt: new Date().toISOString(),
      driver: this.lab.driver.name,
      seed: this.seed,
      scenarios: this.results,
      claims: claimResults(claims, this.results, CONTRADICTIONS, judges),
      checkers: judges,
      canary,
    };
  }
}
