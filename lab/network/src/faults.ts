import type { Logger } from '@multiclaw-lab/kit';
import type { Fault } from './driver.ts';
import { HelperFailedError } from './errors.ts';
import { nft, runCommand } from './run.ts';

/**
 * A fault (or a steering rule) is one nft table in one namespace; healing deletes that table
 * and nothing else. heal() is idempotent and also fine after the namespace is gone.
 */
export class NftTableFault implements Fault, AsyncDisposable {
  readonly description: string;
  readonly namespace: string;
  readonly table: string;
  #healing: Promise<void> | undefined;
  #logger: Logger;
  #onHealed: () => void;

  constructor(description: string, namespace: string, table: string, logger: Logger, onHealed: () => void) {
    this.description = description;
    this.namespace = namespace;
    this.table = table;
    this.#logger = logger;
    this.#onHealed = onHealed;
  }

  static async apply(
    description: string,
    namespace: string,
    table: string,
    ruleset: string,
    logger: Logger,
    onHealed: () => void,
  ) {
    await nft(namespace, ruleset);
    logger.info({ event: 'fault.applied', description, namespace, table }, 'fault applied');
    return new NftTableFault(description, namespace, table, logger, onHealed);
  }

  get healed(): boolean {
    return this.#healing !== undefined;
  }

  heal(): Promise<void> {
    this.#healing ??= this.#delete();
    return this.#healing;
  }

  async #delete(): Promise<void> {
    const r = await runCommand('ip', ['netns', 'exec', this.namespace, 'nft', 'delete', 'table', 'ip', this.table]);
    if (r.code !== 0 && (await this.#stillThere())) {
      this.#healing = undefined; // let a later heal() try again
      throw new HelperFailedError(
        `healing "${this.description}" (nft delete table ip ${this.table})`,
        this.namespace,
        r.stderr.trim(),
      );
    }
    this.#onHealed();
    this.#logger.info(
      { event: 'fault.healed', description: this.description, namespace: this.namespace, table: this.table },
      'fault healed',
    );
  }

  async #stillThere(): Promise<boolean> {
    const r = await runCommand('ip', ['netns', 'exec', this.namespace, 'nft', 'list', 'table', 'ip', this.table]);
    return r.code === 0;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.heal();
  }
}
