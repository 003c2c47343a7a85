/**
 * The services of one lab, by id: starting them from their definitions (in their hosts, through
 * the driver), stopping, restarting and pausing them, and every process the lab ever ran (the
 * scenarios' timelines read restarted ones too). It exists before the Lab does, so the start-up
 * can run services side by side and hand the finished registry to the Lab.
 */
import { join } from 'node:path';
import { LabError, type LogLine, ReadyTimeoutError } from '@multiclaw-lab/kit';
import type { Fault, HostProcesses } from '@multiclaw-lab/network';
import type { MutantDefinition } from '@multiclaw-lab/protocol';
import { DesktopDriver } from '../desktop-driver.ts';
import { mutantEnv } from './mutant.ts';
import { answersTo, type RunningService, type RunOptions, runService, type ServiceDef } from './service.ts';

export class ServiceRegistry {
  readonly #driver: Pick<HostProcesses, 'spawn' | 'signal'>;
  readonly logsDir: string;
  readonly #services = new Map<string, RunningService>();
  readonly #desktops = new Map<string, DesktopDriver>();
  /** starts still under way: stopAll() waits for them, so a process that gets ready late is stopped too */
  readonly #starting = new Set<Promise<RunningService>>();
  #stopping = false;
  /** every service process this lab ran, including those since restarted (for timelines) */
  readonly history: RunningService[] = [];

  /** the behavioural mutant the lab runs with: its components' services get its switch */
  readonly mutant: MutantDefinition | undefined;

  constructor(driver: Pick<HostProcesses, 'spawn' | 'signal'>, stateDir: string, mutant?: MutantDefinition) {
    this.#driver = driver;
    this.logsDir = join(stateDir, 'logs');
    this.mutant = mutant;
  }

  /** the running services by id */
  get services(): ReadonlyMap<string, RunningService> {
    return this.#services;
  }

  /** a desktop simulator's driver per desktop host */
  get desktops(): ReadonlyMap<string, DesktopDriver> {
    return this.#desktops;
  }

  async start(def: ServiceDef, options: RunOptions = {}): Promise<RunningService> {
    if (this.#stopping)
      throw new LabError('LAB_NOT_UP', `not starting ${def.id}: the lab is being taken down`, {
        hint: 'bring a lab up again with pnpm lab up',
      });
    const switched = mutantEnv(def.kind, this.mutant);
    const withMutant = Object.keys(switched).length === 0 ? def : { ...def, env: { ...def.env, ...switched } };
    const starting = runService(this.#driver, withMutant, this.logsDir, options).then((running) => {
      this.#register(running);
      return running;
    });
    this.#starting.add(starting);
    try {
      return await starting;
    } finally {
      this.#starting.delete(starting);
    }
  }

  /** Registers a service started elsewhere (e.g. a DPI box a control turned on). */
  adopt(running: RunningService): void {
    this.#register(running);
  }

  /** Forgets a service that was stopped for good (a DPI box or proxy whose fault was healed). */
  retire(id: string): void {
    this.#services.delete(id);
  }

  #register(running: RunningService): void {
    this.#services.set(running.def.id, running);
    this.history.push(running);
    if (running.def.kind === 'desktop-sim') this.#desktops.set(running.def.host, new DesktopDriver(running.handle));
  }

  service(id: string): RunningService {
    const s = this.#services.get(id);
    if (!s) throw new LabError('LAB_UNKNOWN_SERVICE', `no service ${JSON.stringify(id)}; services: ${this.ids().join(', ')}`);
    return s;
  }

  /**
   * The running services that answer to `name`: a group's instances (`cloud`: cloud, cloud-2, …),
   * else the one service of that id.
   */
  group(name: string): RunningService[] {
    // by id, numbers as numbers (cloud, cloud-2, …, cloud-10), whatever order they got ready in
    const members = [...this.#services.values()]
      .filter((s) => answersTo(s.def, name))
      .sort((a, b) => a.def.id.localeCompare(b.def.id, 'en', { numeric: true }));
    if (members.length === 0) this.service(name); // throws, naming the services there are
    return members;
  }

  /**
   * The first line (already seen or future) of any current process answering to `name` that
   * matches: for a group, whichever instance writes it. Fails when every one of them has
   * exited, or after `timeoutMs`.
   */
  waitForLine(name: string, match: (line: LogLine) => boolean, timeoutMs = 30_000, waitingFor?: string): Promise<LogLine> {
    const handles = this.group(name).map((s) => s.handle);
    if (handles.length === 1) return handles[0]!.waitForLine(match, timeoutMs, waitingFor);
    for (const h of handles) {
      const seen = h.lines.find(match);
      if (seen) return Promise.resolve(seen);
    }
    return new Promise((resolve, reject) => {
      const listeners = handles.map((h) => {
        const onLine = (line: LogLine) => {
          if (!match(line)) return;
          cleanup();
          resolve(line);
        };
        const onExit = () => {
          if (handles.some((other) => other.running)) return;
          cleanup();
          reject(
            new LabError('LAB_PROCESS_EXITED', `every process of ${name} exited while waiting for ${waitingFor ?? 'a log line'}`),
          );
        };
        h.on('line', onLine);
        h.on('exit', onExit);
        return () => {
          h.off('line', onLine);
          h.off('exit', onExit);
        };
      });
      const timer = setTimeout(() => {
        cleanup();
        reject(new ReadyTimeoutError(name, timeoutMs, handles.map((h) => h.tail(5)).join('\n'), waitingFor));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        for (const off of listeners) off();
      };
    });
  }

  desktop(hostId: string): DesktopDriver {
    const d = this.#desktops.get(hostId);
    if (!d) throw new LabError('LAB_UNKNOWN_DESKTOP', `no desktop simulator on host ${JSON.stringify(hostId)}`);
    return d;
  }

  ids(): string[] {
    return [...this.#services.keys()];
  }

  /** a service of the lab's own, which it may stop, restart and pause */
  #own(id: string, action: string): RunningService {
    const s = this.service(id);
    if (s.def.external)
      throw new LabError('LAB_UNSUPPORTED', `cannot ${action} ${id}: ${s.def.external}`, {
        hint: 'a scenario that needs it declares process-faults and is skipped on this driver',
      });
    return s;
  }

  /** Stops a service cleanly (its own stop signal) and leaves it stopped; `restart(id)` starts it again. */
  async stop(id: string): Promise<void> {
    const s = this.#own(id, 'stop');
    await s.handle.stop(10_000, s.def.stopSignal);
  }

  /** Kills a service with SIGKILL, as a crash would (no goodbye to anyone), and leaves it stopped. */
  async kill(id: string): Promise<void> {
    const s = this.#own(id, 'kill');
    await this.#signal(s, 'SIGKILL');
    await s.handle.waitForExit();
  }

  /** Stops a service (SIGKILL when `crash`) and starts it again from the same definition. */
  async restart(id: string, options: { crash?: boolean; env?: NodeJS.ProcessEnv } = {}): Promise<RunningService> {
    const old = this.#own(id, 'restart');
    if (options.crash) {
      await this.#signal(old, 'SIGKILL');
      await old.handle.waitForExit();
    } else {
      await old.handle.stop(5_000, old.def.stopSignal);
    }
    let def = old.def;
    if (options.env) {
      // a variable given as undefined is removed
      const env = { ...old.def.env, ...options.env };
      for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k];
      def = { ...old.def, env };
    }
    return this.start(def);
  }

  /** Stops a service with SIGSTOP until the fault is healed (SIGCONT); resolves once it is stopped. */
  async pause(id: string): Promise<Fault> {
    const service = this.#own(id, 'pause');
    await this.#signal(service, 'SIGSTOP');
    let healed = false;
    return {
      description: `pause ${id}`,
      heal: async () => {
        if (healed) return;
        healed = true;
        await this.#signal(service, 'SIGCONT');
      },
    };
  }

  /** a signal delivered inside the service's host (the driver knows how), once it is still running */
  async #signal(service: RunningService, sig: NodeJS.Signals): Promise<void> {
    if (service.handle.running) await this.#driver.signal(service.handle.child, sig);
  }

  /**
   * Stops every service (apps first get their stdin closed, as on quit), after the starts still
   * under way have ended, and refuses new ones from then on.
   */
  async stopAll(): Promise<void> {
    this.#stopping = true;
    await Promise.allSettled([...this.#starting]);
    for (const d of this.#desktops.values()) d.process.child.stdin?.end();
    await Promise.allSettled([...this.#services.values()].map((s) => s.handle.stop(3_000, s.def.stopSignal)));
  }
}
