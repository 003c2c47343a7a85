import type { Claim, Page } from '../src/model.ts';

/**
 * One catalogue entry: the shared `Claim` plus notes for the scenario writers. They live here and
 * not in the shared type because only the catalogue and its readers need them.
 */
export type CatalogueClaim = Claim & {
  /** testable claims: how the lab verifies it, naming the scenarios (`S16` = scenarios/src/scenarios/s16-*.ts) */
  hint?: string;
  /**
   * testable claims whose sentence also names something outside the lab (AWS volumes, SSO, a UI
   * the lab does not have): what the lab does NOT verify, and why. A "verified" status on such a
   * claim covers only the rest of the sentence.
   */
  partial?: string;
};

/** A promise the lab verifies; `partial` names the part of the sentence it cannot. */
export function testable(
  page: Page,
  id: string,
  section: string,
  sentence: string,
  hint: string,
  partial?: string,
): CatalogueClaim {
  return partial === undefined
    ? { id, page, section, sentence, testable: true, hint }
    : { id, page, section, sentence, testable: true, hint, partial };
}

/** A promise the lab cannot verify, with the reason. */
export function untestable(page: Page, id: string, section: string, sentence: string, reason: string): CatalogueClaim {
  return { id, page, section, sentence, testable: false, reason };
}
