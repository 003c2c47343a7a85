/**
 * labd, the lab's supervisor: `lab up` starts it detached (its own session, stdout into
 * `.lab/logs/labd.log`), it owns the Lab for as long as the lab is up, and it serves the control
 * API on `.lab/labd.sock`. It tells the waiting `lab up` how things go through its log lines:
 *
 *   {"event":"progress","phase":…,"detail":…}   while startLab works
 *   {"event":"up.failed","error":…}              startLab threw; labd exits 1
 *   {"event":"ready","healthy":…,"unhealthy":[…]} the lab is up and the socket answers
 *   {"event":"down"}                              after POST /down or SIGTERM; labd exits 0
 */
import { rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import { parseArgs } from 'node:util';
import { createLogger, type Logger, logReady } from '@multiclaw-lab/kit';
import type { BuiltDriver } from './driver-choice.ts';
import { type Lab, type LabModule, loadLabModule } from './lab-api.ts';
import { serveLabdApi } from './labd-api.ts';
import { runLoadOn } from './load-run.ts';
import { runScenariosOn } from './scenario-run.ts';

export interface LabdOptions {
  prefix: string;
  labStateDir: string;
  socket: string;
  /** what makes the hosts; default netns */
  driver?: BuiltDriver;
  sites?: number;
  desktops?: number;
  /** cloud processes behind HAProxy on the cloud host */
  cloudInstances?: number;
  /** a catalogued defect to run the lab's services with */
  mutant?: string;
  /** injected so tests run labd on a fake Lab */
  labModule: LabModule;
  logger: Logger;
  /** called once the lab is down (or failed to come up): the process entry exits */
  onExit: (code: number) => void;
}

export interface LabdHandle {
  /** takes the lab down and stops serving; idempotent */
  stop(): Promise<void>;
}

export async function runLabd(options: LabdOptions): Promise<LabdHandle> {
  const { logger } = options;
  logger.info(
    { event: 'labd.started', pid: process.pid, prefix: options.prefix, driver: options.driver ?? 'netns' },
    'labd started',
  );
  let lab: Lab;
  try {
    const driver = await options.labModule.driver(options.driver ?? 'netns');
    lab = await options.labModule.startLab({
      prefix: options.prefix,
      stateDir: options.labStateDir,
      driver,
      sites: options.sites,
      desktops: options.desktops,
      ...(options.cloudInstances === undefined ? {} : { cloudInstances: options.cloudInstances }),
      ...(options.mutant === undefined ? {} : { mutant: options.mutant }),
      onProgress: (step) => logger.info({ event: 'progress', ...step }, `${step.phase}: ${step.detail}`),
    });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    logger.error({ event: 'up.failed', error: message }, 'the lab did not come up');
    options.onExit(1);
    return { stop: async () => undefined };
  }

  let server: Server | undefined;
  let takingDown: Promise<void> | undefined;
  let finishing: Promise<void> | undefined;
  // the lab goes down once, whoever asks first (POST /down, SIGTERM, SIGINT)
  const takeDown = () => {
    takingDown ??= (async () => {
      logger.info({ event: 'down.started' }, 'taking the lab down');
      await lab.down().catch((err: unknown) => logger.error({ event: 'down.failed', error: String(err) }, 'down failed'));
    })();
    return takingDown;
  };
  const finish = () => {
    finishing ??= (async () => {
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
      await rm(options.socket, { force: true });
      logger.info({ event: 'down', prefix: options.prefix }, 'the lab is down');
      options.onExit(0);
    })();
    return finishing;
  };
  const stop = async () => {
    await takeDown();
    server?.closeAllConnections(); // followers of logs would hold close() open
    await finish();
  };

  server = await serveLabdApi({
    lab,
    socket: options.socket,
    logger,
    takeDown,
    onDown: () => void stop(),
    runScenarios: (request, onProgress) => runScenariosOn(lab, request, onProgress),
    runLoad: (request, onProgress) => runLoadOn(lab, request, onProgress),
  });
  const status = await lab.status();
  const unhealthy = status.services.filter((s) => !s.healthy).map((s) => ({ id: s.id, detail: s.detail ?? 'not healthy' }));
  logReady(logger, {
    socket: options.socket,
    prefix: options.prefix,
    hosts: status.hosts.length,
    services: status.services.length,
    healthy: unhealthy.length === 0,
    unhealthy,
  });
  return { stop };
}

/**
 * Process entry: `node labd.ts --prefix P --lab-state-dir D --socket S [--driver netns|docker] [--sites N] [--desktops N] [--cloud-instances N]`.
 * `loadLab` is a parameter so the CLI tests can run a real labd process on a fake Lab.
 */
export async function labdMain(argv: string[], loadLab: () => Promise<LabModule>): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      prefix: { type: 'string' },
      'lab-state-dir': { type: 'string' },
      socket: { type: 'string' },
      driver: { type: 'string' },
      sites: { type: 'string' },
      desktops: { type: 'string' },
      'cloud-instances': { type: 'string' },
      mutant: { type: 'string' },
    },
    strict: true,
  });
  if (!values.prefix || !values['lab-state-dir'] || !values.socket) {
    process.stderr.write('labd is started by `pnpm lab up`; it needs --prefix, --lab-state-dir and --socket\n');
    process.exit(2);
  }
  const driver = values.driver ?? 'netns';
  if (driver !== 'netns' && driver !== 'docker') {
    process.stderr.write(`labd: --driver is netns or docker, not ${JSON.stringify(driver)}\n`);
    process.exit(2);
  }
  const logger = createLogger({ service: 'labd' });
  // the terminal that ran `lab up` may go away; labd stays until `lab down`. A SIGTERM before
  // the lab is up ends labd at once (default action); `lab down` then tears down by prefix.
  process.on('SIGHUP', () => undefined);
  const handle = await runLabd({
    prefix: values.prefix,
    labStateDir: values['lab-state-dir'],
    socket: values.socket,
    driver,
    sites: values.sites ? Number(values.sites) : undefined,
    desktops: values.desktops ? Number(values.desktops) : undefined,
    ...(values['cloud-instances'] ? { cloudInstances: Number(values['cloud-instances']) } : {}),
    ...(values.mutant ? { mutant: values.mutant } : {}),
    labModule: await loadLab().catch((err: unknown) => {
      logger.error({ event: 'up.failed', error: String(err instanceof Error ? err.message : err) }, 'cannot load the Lab');
      process.exit(1);
    }),
    logger,
    onExit: (code) => process.exit(code),
  });
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => void handle.stop());
}

if (import.meta.main) await labdMain(process.argv.slice(2), loadLabModule);
