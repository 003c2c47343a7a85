/**
 * The load profiles as data: what each does, its bounds, and the thresholds a run of it must
 * meet unless told otherwise. What happens during a run lives in run-load.ts.
 */

export const PROFILE_NAMES = ['sessions', 'storm', 'signin', 'tasks', 'turn'] as const;
export type ProfileName = (typeof PROFILE_NAMES)[number];

export interface ProfileDefinition {
  name: ProfileName;
  summary: string;
  defaults: { clients: number; durationS: number };
  /** every run is bounded: these are refused above */
  limits: { clients: number; durationS: number };
  /** the thresholds a run must meet unless --threshold adds more (for `clients` sessions) */
  thresholds(clients: number): string[];
}

/** Below this many sessions, memory per session is noise (a GC, a buffer) and is not judged. */
export const RSS_JUDGED_FROM = 1_000;

export const PROFILES: Record<ProfileName, ProfileDefinition> = {
  sessions: {
    name: 'sessions',
    summary:
      'hold N authenticated desktop-app sessions (sign-in, a fresh WSS token per connection, heartbeats) for the duration; the cloud’s RSS per session and CPU',
    defaults: { clients: 200, durationS: 20 },
    limits: { clients: 25_000, durationS: 900 },
    thresholds: (clients) => [
      'sessions_failed == 0',
      'sessions_lost == 0',
      ...(clients >= RSS_JUDGED_FROM ? ['rss_per_session_kib < 100'] : []),
    ],
  },
  storm: {
    name: 'storm',
    summary:
      'N sessions connected, every site’s link cut (toxiproxy: down), then healed: the time until every session is back with a fresh token, per-session reconnect latency, the arrival curve, the cloud’s CPU',
    defaults: { clients: 200, durationS: 60 },
    limits: { clients: 25_000, durationS: 900 },
    thresholds: () => ['sessions_failed == 0', 'sessions_not_back == 0', 'settle_ms < 30000'],
  },
  signin: {
    name: 'signin',
    summary:
      'a credential-stuffing attack on N accounts (wrong passwords from every site host) while real users sign in: the attacked accounts lock, the real users’ sign-ins stay quick',
    defaults: { clients: 10, durationS: 30 },
    limits: { clients: 1_000, durationS: 900 },
    thresholds: () => ['victims_not_locked == 0', 'legit_refused == 0', 'p99(legit_signin_attack_ms) < 3000'],
  },
  tasks: {
    name: 'tasks',
    summary:
      'N gateways streaming task status updates (2 a second each, over 3 tasks) through a storm (every site’s link cut, then healed; a sixth of the time streams before it and a sixth after every gateway is back): from the cloud’s database, every update stored exactly once and in order, none lost',
    defaults: { clients: 50, durationS: 60 },
    limits: { clients: 2_000, durationS: 900 },
    thresholds: () => [
      'sessions_failed == 0',
      'sessions_not_back == 0',
      // an empty run proves nothing: some updates must have gone through
      'updates_acked > 0',
      'updates_unacked == 0',
      'lost_updates == 0',
      'duplicated_updates == 0',
      'out_of_order_updates == 0',
    ],
  },
  turn: {
    name: 'turn',
    summary:
      'N relayed sessions on each leg (UDP on 3478, TLS on 443) through the lab’s coturn from the site hosts, with coturn’s own load client (turnutils_uclient) and the cloud’s TURN credentials, 1,000-byte messages every 20 ms echoed by a peer on a cloud desktop host: allocations, loss, round trip, throughput, coturn’s CPU',
    defaults: { clients: 50, durationS: 20 },
    limits: { clients: 1_000, durationS: 600 },
    thresholds: (clients) => [
      'turn_allocations_failed == 0',
      // every session allocated on both legs: an empty run, or a leg that never ran, fails here
      `turn_allocations_ok_udp == ${clients}`,
      `turn_allocations_ok_tls == ${clients}`,
      // the lab's network drops nothing by itself: a loss is the relay, the peer or the hosts
      // overwhelmed; a relayed stream stalls visibly beyond a few per cent
      'turn_loss_pct_udp < 5',
      'turn_loss_pct_tls < 5',
    ],
  },
};

export function isProfileName(name: string): name is ProfileName {
  return (PROFILE_NAMES as readonly string[]).includes(name);
}

/** What a storm is: `links`, every site's link cut then healed; `instance`, a cloud instance killed (SIGKILL) behind the load balancer. */
export const STORM_FAULTS = ['links', 'instance'] as const;
export type StormFault = (typeof STORM_FAULTS)[number];
export const isStormFault = (name: string): name is StormFault => (STORM_FAULTS as readonly string[]).includes(name);

/** The profiles whose clients are the app's real-time sessions, which can resume their TLS sessions. */
export const TLS_RESUMING_PROFILES: readonly ProfileName[] = ['sessions', 'storm'];
