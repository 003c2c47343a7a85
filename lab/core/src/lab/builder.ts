/**
 * The lab as testcontainers builds a container: a builder (what to make) → a started Lab (all
 * of it running and healthy) → a StoppedLab (its logs). Each `with…` returns a new builder, so
 * one can be shared and varied.
 *
 *   await using lab = await new LabBuilder('.lab/lab').withDesktops(3).withPrefix('mcx').start();
 */
import type { DriverFactory } from '@multiclaw-lab/network';
import type { Lab } from './lab.ts';
import { startLab } from './start.ts';
import type { ProgressStep, StartLabOptions } from './types.ts';

export class LabBuilder {
  readonly #options: StartLabOptions;

  constructor(stateDir: string | StartLabOptions) {
    this.#options = typeof stateDir === 'string' ? { stateDir } : { ...stateDir };
  }

  #with(change: Partial<StartLabOptions>): LabBuilder {
    return new LabBuilder({ ...this.#options, ...change });
  }

  withSites(sites: number): LabBuilder {
    return this.#with({ sites });
  }

  withDesktops(desktops: number): LabBuilder {
    return this.#with({ desktops });
  }

  withCloudDesktops(cloudDesktops: number): LabBuilder {
    return this.#with({ cloudDesktops });
  }

  /** names everything the lab makes, so two labs can run side by side */
  withPrefix(prefix: string): LabBuilder {
    return this.#with({ prefix });
  }

  withDriver(driver: DriverFactory): LabBuilder {
    return this.#with({ driver });
  }

  withLogLevel(logLevel: string): LabBuilder {
    return this.#with({ logLevel });
  }

  withProgress(onProgress: (step: ProgressStep) => void): LabBuilder {
    return this.#with({ onProgress });
  }

  /** what start() will ask for */
  get options(): Readonly<StartLabOptions> {
    return this.#options;
  }

  start(): Promise<Lab> {
    return startLab(this.#options);
  }
}
