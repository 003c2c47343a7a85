import type { ProviderCall } from '@multiclaw-lab/protocol';
import type { z } from 'zod';

export type ProviderCallRecord = z.infer<typeof ProviderCall>;

/**
 * Every request the provider answered, with the fingerprint of the key it presented (never the
 * key). Bounded so a load run cannot exhaust memory; the oldest entries go first.
 */
export class CallLog {
  readonly #calls: ProviderCallRecord[] = [];
  readonly #max: number;

  constructor(max = 100_000) {
    this.#max = max;
  }

  record(call: ProviderCallRecord): void {
    this.#calls.push(call);
    if (this.#calls.length > this.#max) this.#calls.shift();
  }

  list(): ProviderCallRecord[] {
    return [...this.#calls];
  }
}
