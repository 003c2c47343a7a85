import type { ScenarioDefinition, Tag } from './define.ts';
import s01 from './scenarios/s01-desktop-wss-dropped.ts';
import s02 from './scenarios/s02-gateway-wss-dropped.ts';
import s03 from './scenarios/s03-cloud-and-database-restarted.ts';
import s04 from './scenarios/s04-clock-moved.ts';
import s05 from './scenarios/s05-user-removed.ts';
import s06 from './scenarios/s06-password-change-and-forced-sign-out.ts';
import s07 from './scenarios/s07-key-rotation-removal.ts';
import s08 from './scenarios/s08-secrets-at-rest-in-transit.ts';
import s09 from './scenarios/s09-tls-every-endpoint.ts';
import s10 from './scenarios/s10-dpi-resigning.ts';
import s11 from './scenarios/s11-proxy-only-site.ts';
import s12 from './scenarios/s12-no-inbound-localhost-only.ts';
import s13 from './scenarios/s13-gateway-local-api.ts';
import s14 from './scenarios/s14-trust-zones.ts';
import s15 from './scenarios/s15-sign-in-lockout.ts';
import s16 from './scenarios/s16-local-files.ts';
import s17 from './scenarios/s17-signed-updates.ts';
import s19 from './scenarios/s19-local-only-credentials.ts';
import s20 from './scenarios/s20-webrtc-direct.ts';
import s21 from './scenarios/s21-webrtc-turn-udp.ts';
import s22 from './scenarios/s22-webrtc-turn-relay-443.ts';
import s23 from './scenarios/s23-webrtc-relay-sees-ciphertext.ts';
import s24 from './scenarios/s24-webrtc-candidate-injection.ts';
import s25 from './scenarios/s25-browser-viewer.ts';
import s26 from './scenarios/s26-webrtc-expired-turn-credentials.ts';
import s28 from './scenarios/s28-webrtc-through-dpi.ts';
import s29 from './scenarios/s29-stranger-cannot-sign-you-out.ts';
import s30 from './scenarios/s30-cloud-instance-killed.ts';
import s31 from './scenarios/s31-user-removed-on-one-cloud-instance.ts';

/** Every scenario of the suite, in the order they run. */
export const SUITE: ScenarioDefinition[] = [
  s01,
  s02,
  s03,
  s04,
  s05,
  s06,
  s07,
  s08,
  s09,
  s10,
  s11,
  s12,
  s13,
  s14,
  s15,
  s16,
  s17,
  s29,
  s19,
  s20,
  s21,
  s22,
  s23,
  s24,
  s25,
  s26,
  s28,
  s30,
  s31,
];

/** The scenarios picked by ids and/or tags (none given: all). Unknown ids or tags are an error. */
export function selectScenarios(options: { ids?: string[]; tags?: string[] } = {}): ScenarioDefinition[] {
  const ids = options.ids ?? [];
  const tags = options.tags ?? [];
  for (const id of ids) {
    if (!SUITE.some((s) => s.id === id || s.id.startsWith(`${id}-`))) {
      throw new Error(`no scenario ${JSON.stringify(id)}; scenarios: ${SUITE.map((s) => s.id).join(', ')}`);
    }
  }
  const known = new Set(SUITE.flatMap((s) => s.tags));
  for (const t of tags)
    if (!known.has(t as Tag)) throw new Error(`no scenario has tag ${JSON.stringify(t)}; tags: ${[...known].join(', ')}`);
  return SUITE.filter(
    (s) =>
      (ids.length === 0 && tags.length === 0) ||
      ids.some((id) => s.id === id || s.id.startsWith(`${id}-`)) ||
      s.tags.some((t) => tags.includes(t)),
  );
}
