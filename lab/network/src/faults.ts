import type { Logger } from '@multiclaw-lab/kit';
import type { Fault } from './driver.ts';
import { HelperFailedError } from './errors.ts';

/** How a driver loads and removes nft tables inside one host (each driver reaches its hosts its own way). */
export interface NftHost {
  /** where the table lives, for logs and errors (a namespace, a container) */
  readonly where: string;
  /** loads a ruleset (`nft -f -`) in the host; throws when nft refuses it */
  load(ruleset: string): Promise<void>;
  /** `nft delete table ip TABLE` in the host */
  deleteTable(table: string): Promise<{ code: number | null; stderr: string }>;
  /** whether `nft list table ip TABLE` finds it */
  hasTable(table: string): Promise<boolean>;
}

/**
 * A fault (or a steering rule) is one nft table in one host; healing deletes that table and
 * nothing else. heal() is idempotent and also fine after the host is gone.
 */
export class NftTableFault implements Fault, AsyncDisposable {
  readonly description: string;
  readonly table: string;
  readonly #host: NftHost;
  #healing: Promise<void> | undefined;
  #logger: Logger;
  #onHealed: () => void;

  constructor(description: string, host: NftHost, table: string, logger: Logger, onHealed: () => void) {
    this.description = description;
    this.#host = host;
    this.table = table;
    this.#logger = logger;
    this.#onHealed = onHealed;
  }

  /** where the fault's table lives (a namespace, a container) */
  get where(): string {
    return this.#host.where;
  }

  static async apply(description: string, host: NftHost, table: string, ruleset: string, logger: Logger, onHealed: () => void) {
    await host.load(ruleset);
    logger.info({ event: 'fault.applied', description, where: host.where, table }, 'fault applied');
    return new NftTableFault(description, host, table, logger, onHealed);
  }

  get healed(): boolean {
    return this.#healing !== undefined;
  }

  heal(): Promise<void> {
    this.#healing ??= this.#delete();
    return this.#healing;
  }

  async #delete(): Promise<void> {
    const r = await this.#host.deleteTable(this.table);
    if (r.code !== 0 && (await this.#host.hasTable(this.table))) {
      this.#healing = undefined; // let a later heal() try again
      throw new HelperFailedError(
        `healing "${this.description}" (nft delete table ip ${this.table})`,
        this.where,
        r.stderr.trim(),
      );
    }
    this.#onHealed();
    this.#logger.info(
      { event: 'fault.healed', description: this.description, where: this.where, table: this.table },
      'fault healed',
    );
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.heal();
  }
}
