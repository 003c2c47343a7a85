/**
 * Behavioural mutants of the reference MultiClaw: each is one deliberate defect in one component
 * that breaks a documented promise. `pnpm lab mutate` starts a lab with one switched on and runs
 * the scenarios that name its claims; a scenario check of one of those claims must then fail. A
 * mutant no check catches shows a claim the suite calls verified without being able to tell.
 *
 * The catalogue is data shared by the components (which switch their defect on when the lab names
 * it in `MULTICLAW_MUTANT`) and the harness (which picks the scenarios and judges the outcome).
 */

/** Where a mutant's defect lives; the lab passes the switch to that component's services only. */
export const MUTANT_COMPONENTS = ['cloud', 'gateway', 'desktop', 'logger', 'coturn'] as const;
export type MutantComponent = (typeof MUTANT_COMPONENTS)[number];

export interface MutantDefinition {
  /** stable, kebab-case */
  id: string;
  /** the component(s) whose services run with the switch on */
  components: readonly MutantComponent[];
  /** the defect, in one sentence */
  defect: string;
  /** the claim ids the defect breaks: a failing check of one of them kills the mutant */
  claims: readonly string[];
  /** scenario tags the mutant belongs to (for `lab mutate --tag`) */
  tags: readonly string[];
  /**
   * For a defence-in-depth layer no documented flow exercises (the logger's redaction: the
   * components never hand it a secret, so with it off nothing leaks and every scenario passes):
   * the unit tests of that layer, run with the switch on instead of a lab. Such a kill proves the
   * layer is tested, not that a claim's check can fail, so it proves no claim.
   */
  unitTests?: readonly string[];
  /**
   * A defect that only shows with several cloud instances behind the load balancer (one process
   * has no one else to tell): `lab mutate` starts its lab with this many.
   */
  cloudInstances?: number;
}

const m = <const I extends string, const C extends readonly MutantComponent[]>(
  id: I,
  components: C,
  defect: string,
  claims: readonly string[],
  tags: readonly string[],
) => ({ id, components, defect, claims, tags });

export const MUTANTS = [
  // ---- tokens and sessions (cloud)
  m('user-wss-token-5-minutes', ['cloud'], 'user WSS tokens expire after 5 minutes instead of 4 hours', ['CS-34'], ['tokens']),
  m('user-wss-token-48-hours', ['cloud'], 'user WSS tokens stay valid for 48 hours instead of 4', ['CS-34', 'NS-14'], ['tokens']),
  m('daemon-wss-token-48-hours', ['cloud'], 'daemon WSS tokens stay valid for 48 hours instead of 24', ['CS-34'], ['tokens']),
  m(
    'wss-token-reusable',
    ['cloud'],
    'a WSS token opens any number of connections (an old token still works after a fresh one was minted)',
    ['CS-32', 'SO-08'],
    ['tokens'],
  ),
  m(
    'wss-token-signature-unchecked',
    ['cloud'],
    'the cloud accepts a WSS token whose HMAC signature is wrong',
    ['CS-32', 'SO-09'],
    ['tokens'],
  ),
  m(
    'sign-out-keeps-bearer-valid',
    ['cloud'],
    'signing out does not revoke the bearer token in the cloud',
    ['CS-38', 'CS-06'],
    ['tokens'],
  ),
  m(
    'password-change-keeps-sessions',
    ['cloud'],
    "changing the password leaves the user's other bearer tokens valid",
    ['NS-18', 'SO-12'],
    ['tokens'],
  ),
  m('forced-sign-out-ignored', ['cloud'], "an owner's forced sign-out revokes nothing", ['NS-18'], ['tokens']),
  {
    ...m(
      'revocation-on-one-instance-only',
      ['cloud'],
      'a revocation closes the sessions only on the cloud instance that decided it; the other instances keep serving them',
      ['CS-41'],
      ['tokens'],
    ),
    cloudInstances: 2,
  },
  m(
    'removed-user-keeps-sockets',
    ['cloud'],
    'removing a user revokes their tokens but leaves their open WebSockets open',
    ['CS-41'],
    ['tokens'],
  ),
  m(
    'removed-user-keeps-workspace-token',
    ['cloud'],
    "removing a user leaves their gateway's workspace auth token valid",
    ['CS-36', 'CS-23', 'CS-39'],
    ['tokens'],
  ),
  m('lockout-off', ['cloud'], 'repeated failed sign-ins never lock the account', ['SO-13'], ['tokens']),
  m(
    'password-stored-as-sha256',
    ['cloud'],
    'passwords are stored as unsalted SHA-256 instead of bcrypt',
    ['CS-37', 'CS-43'],
    ['keys'],
  ),
  m(
    'desktop-bearer-opens-gateway-channel',
    ['cloud'],
    "the gateway's real-time channel accepts a desktop app's bearer",
    ['NS-20', 'SO-10', 'NS-05'],
    ['tokens'],
  ),
  m(
    'gateway-token-opens-rest',
    ['cloud'],
    'REST routes accept the gateway workspace auth token as a bearer',
    ['CS-29', 'SO-09'],
    ['tokens'],
  ),
  m(
    'membership-without-consent',
    ['cloud'],
    'an invitation makes the invitee a member at once, so a stranger can remove or sign out anyone',
    ['SO-16', 'SO-14'],
    ['tokens'],
  ),
  m('member-allowed-owner-routes', ['cloud'], 'a Member may call the owner-only routes', ['SO-15', 'SO-16'], ['tokens']),
  m('cross-workspace-read', ['cloud'], "a signed-in user may read another workspace's records", ['CS-22', 'SO-16'], ['tokens']),
  // ---- keys and data at rest (cloud)
  m(
    'api-key-stored-plaintext',
    ['cloud'],
    'LLM API keys are stored in the database in plaintext',
    ['CS-08', 'CS-03', 'DE-22', 'CS-46', 'DE-01', 'DE-02', 'DE-08', 'DE-40', 'DE-42', 'DE-49', 'DE-51'],
    ['keys'],
  ),
  m(
    'sync-key-in-plaintext',
    ['cloud'],
    'config sync carries the API key in plaintext instead of an enc: value',
    ['CS-10', 'CS-04', 'NS-40', 'NS-08'],
    ['keys'],
  ),
  m(
    'sync-key-sealed-by-gateway',
    ['cloud', 'gateway'],
    'the cloud sends the API key in plaintext inside TLS and the gateway seals it to enc: itself before writing',
    ['NS-40', 'DE-23'],
    ['keys'],
  ),
  m(
    'sync-key-not-per-instance',
    ['cloud'],
    'every instance gets the API key sealed under the same key instead of one derived per instance',
    ['CS-09', 'CS-04'],
    ['keys'],
  ),
  m('key-rotation-not-pushed', ['cloud'], 'a changed API key is not pushed to connected instances', ['NS-44', 'CS-15'], ['keys']),
  m(
    'removed-key-left-on-instances',
    ['cloud'],
    'removing an API key leaves the sealed copy on synced instances',
    ['CS-16'],
    ['keys'],
  ),
  m('api-key-logged-by-cloud', ['cloud'], 'the cloud logs the API key it stores', ['NS-42'], ['keys']),
  // the pages promise nothing about TURN credentials themselves: a relay open to whoever once held
  // credentials is an unsecured piece of the infrastructure (SO-45), the relay still carries streams (NS-34)
  m('turn-credentials-never-expire', ['cloud'], 'TURN credentials are minted valid for ten years', ['SO-45'], ['webrtc']),
  m(
    'cloud-accepts-tls-1-0',
    ['cloud'],
    'the cloud accepts TLS 1.0 and 1.1',
    ['NS-10', 'SO-20', 'DE-29', 'DE-44', 'DE-47', 'NS-04'],
    ['tls'],
  ),
  m(
    'foreign-candidate-forwarded',
    ['cloud'],
    'ICE candidates from a user who is not the viewer are forwarded to the cloud desktop',
    ['NS-37'],
    ['webrtc'],
  ),
  m(
    'transcripts-not-synced',
    ['cloud'],
    'the cloud drops conversation transcripts a linked gateway syncs',
    ['SO-24', 'DE-38'],
    ['local'],
  ),
  // ---- the gateway
  m(
    'local-api-on-all-interfaces',
    ['gateway'],
    "the gateway's local API listens on 0.0.0.0",
    ['NS-27', 'NS-47', 'NS-01', 'NS-03'],
    ['local'],
  ),
  m(
    'local-api-token-unchecked',
    ['gateway'],
    "the gateway's local API serves requests without the session token",
    ['NS-28', 'NS-29', 'NS-02', 'NS-06'],
    ['local'],
  ),
  m(
    'gateway-session-token-on-disk',
    ['gateway'],
    'the gateway writes its WSS session token into openclaw.json',
    ['NS-22', 'CS-33', 'CS-07', 'NS-05'],
    ['tokens'],
  ),
  m(
    'gateway-reuses-session-token',
    ['gateway'],
    'the gateway reconnects with the token of its previous session instead of minting a fresh one',
    ['NS-23', 'NS-24'],
    ['reconnect'],
  ),
  m(
    'gateway-reconnect-no-backoff',
    ['gateway'],
    'the gateway reconnects in a tight loop, without backoff or jitter',
    ['NS-24'],
    ['reconnect'],
  ),
  m(
    'status-updates-in-memory-only',
    ['gateway'],
    'task status updates made while offline are kept only in memory and lost when the gateway restarts',
    ['NS-25'],
    ['reconnect'],
  ),
  m(
    'workspace-token-encoded-at-rest',
    ['gateway'],
    'the gateway stores its workspace auth token encrypted in openclaw.json, unlike what the pages tell users to expect',
    ['CS-19', 'CS-51', 'DE-03', 'DE-04', 'DE-52'],
    ['local'],
  ),
  m('config-world-readable', ['gateway'], 'openclaw.json is written with mode 0644', ['DE-15', 'CS-20', 'CS-21'], ['local']),
  m('openclaw-dir-world-readable', ['gateway'], '~/.openclaw is created with mode 0755', ['CS-25', 'CS-21'], ['local']),
  m(
    'api-key-in-transcript',
    ['gateway'],
    'the gateway puts the API key into the transcript it syncs to the cloud',
    ['NS-42'],
    ['keys'],
  ),
  // Sending the definition alone breaks no promise (data-encryption: once connected, "agent
  // definitions ... sync to MultiClaw Cloud"); its key going along breaks SO-26.
  m(
    'local-agent-synced',
    ['gateway'],
    'an agent defined only locally is sent to the cloud, its plaintext key included, once the gateway is linked',
    ['SO-26'],
    ['local'],
  ),
  m('gateway-ignores-proxy', ['gateway'], 'the gateway ignores HTTPS_PROXY', ['NS-63', 'NS-64'], ['network']),
  m('gateway-accepts-any-certificate', ['gateway'], 'the gateway accepts any TLS certificate', ['NS-59', 'NS-61'], ['tls']),
  // ---- the desktop app
  m('desktop-accepts-any-certificate', ['desktop'], 'the desktop app accepts any TLS certificate', ['NS-59', 'NS-61'], ['tls']),
  m(
    'desktop-accepts-tls-1-0',
    ['desktop'],
    'the desktop app accepts a server that offers only TLS 1.0/1.1',
    ['NS-10', 'NS-57'],
    ['tls'],
  ),
  m(
    'desktop-no-reconnect',
    ['desktop'],
    'the desktop app does not reconnect by itself after its WSS drops',
    ['NS-17'],
    ['reconnect'],
  ),
  m(
    'updater-skips-signature',
    ['desktop'],
    'the updater installs an update without checking its signature',
    ['SO-38'],
    ['updates'],
  ),
  m('crash-report-uploaded', ['desktop'], 'a crash log is uploaded to the cloud', ['SO-34'], ['local']),
  m(
    'telemetry-ping',
    ['desktop'],
    'the app sends one usage ping to an undocumented host',
    ['SO-33', 'SO-42', 'SO-01', 'SO-02'],
    ['network'],
  ),
  m(
    'sign-out-keeps-local-bearer',
    ['desktop'],
    'signing out leaves the bearer token in local storage',
    ['CS-31', 'CS-06'],
    ['tokens'],
  ),
  m(
    'bearer-in-openclaw-json',
    ['desktop'],
    'the desktop app keeps its bearer token in openclaw.json instead of its own local storage',
    ['CS-28', 'DE-19'],
    ['local'],
  ),
  m(
    'desktop-sends-credentials',
    ['desktop'],
    'the desktop app uploads the stored credentials to the cloud',
    ['SO-26'],
    ['local'],
  ),
  m('desktop-ignores-proxy', ['desktop'], 'the desktop app ignores HTTPS_PROXY', ['NS-63'], ['network']),
  m(
    'desktop-listens-inbound',
    ['desktop'],
    'the desktop app listens on a TCP port on every interface',
    ['NS-46', 'NS-45'],
    ['network'],
  ),
  // ---- shared logger, relay
  {
    ...m('logger-redaction-off', ['logger'], "the components' logger redacts nothing", ['CS-12', 'CS-13'], ['keys']),
    unitTests: ['lab/kit/src/logger.test.ts'],
  },
  m(
    'turn-relays-to-private-segment',
    ['coturn'],
    "the TURN relay relays to the cloud's private segment (the database, the cloud's own address)",
    ['SO-45'],
    ['webrtc'],
  ),
  m(
    'turn-no-tls-on-443',
    ['coturn'],
    'the TURN relay has no TLS/TCP listener on 443, only 3478',
    ['NS-56', 'NS-50', 'NS-07'],
    ['webrtc'],
  ),
] as const satisfies readonly MutantDefinition[];

export type MutantId = (typeof MUTANTS)[number]['id'];
type Entry = (typeof MUTANTS)[number];
/** the ids of the mutants whose defect lives (at least partly) in component `C` */
export type MutantIdOf<C extends MutantComponent> = Entry extends infer E
  ? E extends { id: infer I; components: readonly (infer K)[] }
    ? C extends K
      ? I
      : never
    : never
  : never;

export function mutantById(id: string): MutantDefinition | undefined {
  return MUTANTS.find((x) => x.id === id);
}
