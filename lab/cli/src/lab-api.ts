/**
 * What the command line (labd and the commands) uses of the harness: core's own types, narrowed
 * to the part of a Lab that labd touches, so the CLI's unit tests can inject a fake Lab. Nothing
 * here is a copy of a core type.
 */
import type * as Core from '@multiclaw-lab/core';
import type { DriverFactory } from '@multiclaw-lab/network';
import type { BuiltDriver } from './driver-choice.ts';

export type LabStatus = Core.LabStatus;
export type ProgressStep = Core.ProgressStep;
export type StartLabOptions = Core.StartLabOptions;
export type ExecOutcome = Awaited<ReturnType<Core.Lab['exec']>>;

/** The part of a running Lab labd serves (status, exec, logs, down); what down() leaves is not its business. */
export type Lab = Pick<Core.Lab, 'prefix' | 'stateDir' | 'status' | 'serviceIds' | 'exec' | 'logFile'> &
  AsyncDisposable & { down(): Promise<unknown> };

export interface LabModule {
  startLab(options: StartLabOptions): Promise<Lab>;
  /** removes a netns lab by its prefix (a docker lab goes by its labels: CliContext.docker) */
  teardownLab: typeof Core.teardownLab;
  /** removes the folders of a lab's state that held secrets and keys (the logs stay) */
  removeLabState: typeof Core.removeLabState;
  /** the factory startLab is given for this driver */
  driver(name: BuiltDriver): Promise<DriverFactory>;
}

/**
 * Loads the harness lazily, so `lab doctor`, `lab status` and the usage text start without
 * pulling in the whole of it (and can run on a machine where it cannot load yet).
 */
export async function loadLabModule(): Promise<LabModule> {
  const core = await import('@multiclaw-lab/core');
  return {
    startLab: core.startLab,
    teardownLab: core.teardownLab,
    removeLabState: core.removeLabState,
    // the docker package (and its container client) loads only for a docker lab
    driver: async (name) =>
      name === 'docker'
        ? (await import('@multiclaw-lab/docker')).dockerDriver
        : (await import('@multiclaw-lab/network')).netnsDriver,
  };
}
