/**
 * A Lab that makes nothing: two hosts and two services whose logs are files in the state
 * folder. Only for the CLI's unit tests (labd and the commands), never for the lab itself.
 * Behaviour is chosen by FAKE_LAB=ok|fail|unhealthy so a real labd process can run on it.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { DriverFactory } from '@multiclaw-lab/network';
import type { BuiltDriver } from '../driver-choice.ts';
import type { Lab, LabModule, LabStatus, StartLabOptions } from '../lab-api.ts';

export interface FakeLabCalls {
  started: StartLabOptions[];
  teardowns: Array<{ prefix: string; stateDir: string }>;
  downs: number;
  execs: Array<{ host: string; argv: string[] }>;
}

export function fakeLabModule(mode = process.env.FAKE_LAB ?? 'ok'): LabModule & { calls: FakeLabCalls } {
  const calls: FakeLabCalls = { started: [], teardowns: [], downs: 0, execs: [] };
  // the factories handed out, by driver, so the status says which one the lab was started with
  const factories = new Map<DriverFactory, BuiltDriver>();
  const startLab = async (options: StartLabOptions): Promise<Lab> => {
    calls.started.push(options);
    options.onProgress?.({ phase: 'network', detail: 'namespaces and bridges' });
    if (mode === 'fail') throw new Error('nft: could not process rule: No such file or directory');
    options.onProgress?.({ phase: 'services', detail: 'cloud, relay, gateways', done: true });
    const prefix = options.prefix ?? 'mcl';
    const driver = (options.driver && factories.get(options.driver)) ?? 'netns';
    const logs = join(options.stateDir, 'logs');
    mkdirSync(logs, { recursive: true });
    const logFile = (id: string) => join(logs, `${id}.log`);
    for (const id of ['cloud', 's1-d1-gateway'])
      appendFileSync(logFile(id), `${JSON.stringify({ service: id, event: 'ready' })}\n`);
    const status = (): LabStatus => ({
      prefix,
      driver,
      startedAt: '2026-11-22T00:00:00.000Z',
      stateDir: options.stateDir,
      hosts: [
        { id: 'cloud', role: 'cloud', namespace: `${prefix}-cloud`, addresses: ['198.18.0.10', '198.18.1.10'] },
        { id: 's1-d1', role: 'desktop', site: 's1', namespace: `${prefix}-s1-d1`, addresses: ['198.19.1.11'] },
      ],
      services: [
        {
          id: 'cloud',
          host: 'cloud',
          kind: 'cloud',
          pid: 101,
          healthy: true,
          detail: 'GET /healthz: 200',
          log: logFile('cloud'),
          startMs: 900,
        },
        {
          id: 's1-d1-gateway',
          host: 's1-d1',
          kind: 'gateway',
          pid: 102,
          healthy: mode !== 'unhealthy',
          detail: mode === 'unhealthy' ? 'not connected to the cloud' : 'connected',
          log: logFile('s1-d1-gateway'),
          startMs: 1000,
        },
      ],
    });
    const lab: Lab = {
      prefix,
      stateDir: options.stateDir,
      status: async () => status(),
      serviceIds: () => status().services.map((s) => s.id),
      async exec(host, argv) {
        calls.execs.push({ host, argv });
        if (!status().hosts.some((h) => h.id === host)) throw new Error(`no host "${host}"`);
        return { code: argv[0] === 'false' ? 1 : 0, stdout: `ran ${argv.join(' ')} on ${host}\n`, stderr: '' };
      },
      logFile,
      async down() {
        calls.downs++;
      },
      [Symbol.asyncDispose]: async () => undefined,
    };
    return lab;
  };
  return {
    calls,
    startLab,
    driver: async (name) => {
      const factory: DriverFactory = async () => {
        throw new Error('the fake Lab makes no hosts');
      };
      factories.set(factory, name);
      return factory;
    },
    removeLabState: async () => undefined,
    teardownLab: async (options) => {
      calls.teardowns.push(options);
      return { removed: [`netns ${options.prefix}-cloud`] };
    },
  };
}
