/**
 * The load profiles as data: what each does, its bounds, and the thresholds a run of it must
 * meet unless told otherwise. What happens during a run lives in run-load.ts.
 */

export const PROFILE_NAMES = ['sessions', 'storm', 'signin'] as const;
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
};

export function isProfileName(name: string): name is ProfileName {
  return (PROFILE_NAMES as readonly string[]).includes(name);
}
