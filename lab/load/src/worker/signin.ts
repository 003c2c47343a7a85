/**
 * A credential-stuffing run and the real users beside it, from one site host: legitimate
 * sign-ins (the right password) at a steady rate the whole time, and, once marked `attack`,
 * wrong passwords against the attacked accounts at the attack's rate. Each legitimate sign-in's
 * latency is recorded per phase (`legit_signin_quiet_ms`, `legit_signin_attack_ms`), so the two
 * are compared side by side in one run; the attempts' answers are counted.
 */
import { randomBytes } from 'node:crypto';
import { routes } from '@multiclaw-lab/protocol';
import { Agent, request } from 'undici';
import type { Metrics } from '../metrics.ts';

export interface SigninConfig {
  cloudUrl: string;
  ca: string;
  /** accounts the attack guesses passwords for */
  victims: string[];
  /** real users, with their right passwords */
  legit: Array<{ email: string; password: string }>;
  attackPerSecond: number;
  legitPerSecond: number;
}

export class SigninLoad {
  readonly #config: SigninConfig;
  readonly #metrics: Metrics;
  readonly #agent: Agent;
  readonly #timers: NodeJS.Timeout[] = [];
  readonly #inFlight = new Set<Promise<void>>();
  #phase = 'quiet';
  #next = 0;

  constructor(config: SigninConfig, metrics: Metrics) {
    this.#config = config;
    this.#metrics = metrics;
    this.#agent = new Agent({ connect: { ca: config.ca }, connections: 32 });
    // counted from zero, so "none refused" is a measurement and not a missing metric
    for (const counter of ['legit_ok', 'legit_refused']) metrics.add(counter, 0);
  }

  async #signIn(email: string, password: string): Promise<number> {
    const res = await request(new URL(routes.signIn.path, this.#config.cloudUrl), {
      method: 'POST',
      dispatcher: this.#agent,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password }),
    });
    await res.body.dump();
    return res.statusCode;
  }

  #track(work: Promise<void>): void {
    this.#inFlight.add(work);
    void work.finally(() => this.#inFlight.delete(work));
  }

  #legit(): void {
    const user = this.#config.legit[this.#next++ % this.#config.legit.length]!;
    const phase = this.#phase;
    const started = performance.now();
    this.#track(
      this.#signIn(user.email, user.password).then(
        (status) => {
          this.#metrics.record(`legit_signin_${phase}_ms`, performance.now() - started);
          this.#metrics.add(status === 200 ? 'legit_ok' : 'legit_refused');
        },
        () => this.#metrics.add('legit_refused'),
      ),
    );
  }

  #attack(): void {
    const victim = this.#config.victims[this.#next++ % this.#config.victims.length]!;
    this.#track(
      this.#signIn(victim, `guess-${randomBytes(6).toString('hex')}`).then(
        (status) =>
          this.#metrics.add(status === 423 ? 'attack_refused_locked' : status === 401 ? 'attack_refused_wrong' : 'attack_other'),
        () => this.#metrics.add('attack_other'),
      ),
    );
  }

  /** Legitimate sign-ins from now on, at their rate. */
  start(): void {
    if (this.#config.legitPerSecond > 0) this.#timers.push(setInterval(() => this.#legit(), 1000 / this.#config.legitPerSecond));
  }

  /** From `attack` on, the attack runs too; the phase names the legitimate latencies recorded after it. */
  mark(name: string): void {
    this.#phase = name;
    if (name === 'attack' && this.#config.attackPerSecond > 0 && this.#config.victims.length > 0)
      this.#timers.push(setInterval(() => this.#attack(), 1000 / this.#config.attackPerSecond));
  }

  async stop(): Promise<void> {
    for (const t of this.#timers) clearInterval(t);
    await Promise.allSettled([...this.#inFlight]);
    await this.#agent.close();
  }
}
