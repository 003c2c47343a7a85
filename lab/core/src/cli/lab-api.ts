/**
 * The contract between the command line (labd) and the Lab the lead writes in `src/lab/`.
 * labd only ever talks to a Lab through this interface, so its unit tests inject a fake one and
 * the real one can change inside without touching the CLI.
 */
export interface LabStatus {
  prefix: string;
  driver: 'netns';
  startedAt: string;
  stateDir: string;
  hosts: Array<{ id: string; role: string; site?: string; namespace: string; addresses: string[] }>;
  services: Array<{ id: string; host: string; kind: string; pid: number | null; healthy: boolean; detail?: string; log: string }>;
}

export interface ExecOutcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface Lab extends AsyncDisposable {
  readonly prefix: string;
  readonly stateDir: string;
  status(): Promise<LabStatus>;
  /** the ids of its services, without checking their health (status() does, which takes seconds) */
  serviceIds(): string[];
  exec(hostId: string, argv: string[]): Promise<ExecOutcome>;
  /** path of a service's JSON-lines log */
  logFile(serviceId: string): string;
  down(): Promise<void>;
}

export interface ProgressStep {
  phase: string;
  detail: string;
  done?: boolean;
}

export interface StartLabOptions {
  sites?: number;
  desktops?: number;
  prefix?: string;
  stateDir: string;
  onProgress?: (step: ProgressStep) => void;
}

export type StartLab = (options: StartLabOptions) => Promise<Lab>;
export type TeardownLab = (options: { prefix: string; stateDir: string }) => Promise<{ removed: string[] }>;

export interface LabModule {
  startLab: StartLab;
  teardownLab: TeardownLab;
}

/**
 * Loads the real Lab from this package. Loaded lazily (and checked) so that `lab doctor`,
 * `lab status` and the usage text work without pulling in the whole harness, and so a missing
 * export is a clear message instead of an import crash.
 */
export async function loadLabModule(): Promise<LabModule> {
  const mod = (await import('../index.ts')) as Partial<LabModule>;
  if (typeof mod.startLab !== 'function' || typeof mod.teardownLab !== 'function') {
    throw new Error('@multiclaw-lab/core does not export startLab/teardownLab (the netns Lab is not built into this checkout)');
  }
  return { startLab: mod.startLab, teardownLab: mod.teardownLab };
}
