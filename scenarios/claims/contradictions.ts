/**
 * Where MultiClaw's pages disagree with each other. A claim listed here is shown as a documented
 * contradiction, with the sentences it disagrees with, and never as verified, whatever the
 * scenarios behind it saw: the lab cannot make both sentences true, and says so instead of
 * picking one quietly. The replica follows the sentences in `against`.
 */
export interface Contradiction {
  /** the claim shown with status "contradiction" */
  claim: string;
  /** the claims whose sentences say otherwise */
  against: string[];
  /** what disagrees, and what the replica does */
  explanation: string;
}

export const CONTRADICTIONS: Contradiction[] = [
  {
    claim: 'CS-38',
    against: ['NS-18', 'CS-41'],
    explanation:
      "credentials-and-secrets says a lost device cannot be signed out remotely, while network-security names a workspace owner's forced sign-out as a way a token is revoked, and the same page says removing a user revokes that user's tokens on every device. Both are remote sign-outs of the lost device (of every device of that user, since there is no per-device revocation). The replica offers the owner's forced sign-out and removal, as NS-18 and CS-41 say.",
  },
];
