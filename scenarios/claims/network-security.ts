import { type CatalogueClaim, testable } from './entry.ts';

/** Claims of `network-security.md` (help-centre path /security-privacy/network-security). */
const t = (id: string, section: string, sentence: string, hint: string, partial?: string) =>
  testable('network-security', id, section, sentence, hint, partial);

const TOP = 'Network security';
const SUMMARY = 'Connection summary';
const DESKTOP_CLOUD = 'Desktop app to MultiClaw Cloud';
const GATEWAY_CLOUD = 'Local OpenClaw gateway to MultiClaw Cloud';
const DESKTOP_GATEWAY = 'Desktop app to local OpenClaw gateway';
const WEBRTC = 'Cloud desktop viewer (WebRTC)';
const LLM = 'LLM provider API calls';
const OUTBOUND = 'Outbound connections and ports';
const TLS = 'TLS and certificate verification';
const PROXY = 'Proxy support';

const UI = 'the Settings screen itself: the lab has no desktop UI and sets the equivalent desktop-sim option';
const NAMES =
  'the lab uses `.test` names (`api.multiclaw.test`, `turn.multiclaw.test`, `cdn.multiclaw.test`, `api.llm.test`) for the `.io`/provider hosts';

export const NETWORK_SECURITY_CLAIMS: CatalogueClaim[] = [
  t(
    'NS-01',
    TOP,
    'How MultiClaw secures every network connection using TLS, authenticated tokens, and no inbound ports.',
    'summary: S09 (TLS), S13/S14 (tokens), S12 (no inbound)',
    'the localhost link does not use TLS (NS-30), as the page itself says further down',
  ),
  t(
    'NS-02',
    TOP,
    'Every connection MultiClaw makes is encrypted and authenticated.',
    'S09/S13/the egress-audit checker: every external connection is TLS or DTLS and carries a credential; the local API refuses requests without the session token',
    'the localhost link is not encrypted (NS-30), as the page itself says further down',
  ),
  t(
    'NS-03',
    TOP,
    'Your machine opens no inbound ports, and each credential stays within its intended trust zone.',
    'S12 (nothing reachable from the neighbour host or the LAN) and S14 (credentials refused outside their zone)',
  ),
  t(
    'NS-04',
    SUMMARY,
    'Desktop app → MultiClaw Cloud | **HTTPS** (REST) and **WSS** (WebSocket) | Bearer token (persists until logout); WSS uses a separate short-lived HMAC token | Account, workspace, task, and agent configuration data; real-time status events | **TLS 1.2** minimum, **TLS 1.3** preferred',
    'S01/S06/S09: REST with the bearer, WSS with a separate 4 h HMAC token, TLS 1.2+ (1.3 by default)',
  ),
  t(
    'NS-05',
    SUMMARY,
    'Local OpenClaw gateway → MultiClaw Cloud | **WSS** (WebSocket) | Long-lived workspace auth token stored locally; per-session short-lived signed token (memory only) | Heartbeats, agent status, task execution updates, configuration sync | Separate trust zone from the desktop app; each uses its own credentials',
    'S02/S07/S14/S16: gateway WSS with workspace token → per-session token never on disk; carries heartbeats, task status and config sync; desktop credentials refused on it',
  ),
  t(
    'NS-06',
    SUMMARY,
    'Desktop app → local OpenClaw gateway | **HTTP on localhost** (127.0.0.1) | Session token generated at gateway start | Agent commands, conversation messages, local status queries | Not exposed on any network interface',
    'S12/S13: gateway API on 127.0.0.1 only, session token made at start and required on every endpoint',
  ),
  t(
    'NS-07',
    SUMMARY,
    'Cloud desktop viewer | **WebRTC DataChannel** (DTLS/SCTP) | ICE negotiated via MultiClaw Cloud over WSS | JPEG video frames and input events | TURN relay used when direct peer-to-peer is unavailable',
    'viewer opens a DataChannel to the daemon; ICE goes through the cloud WSS; with UDP blocked between them it goes through coturn and frames still arrive',
  ),
  t(
    'NS-08',
    SUMMARY,
    'LLM provider API calls | **HTTPS** | API key stored encrypted in MultiClaw Cloud, pushed to your instance during config sync | Prompts, model responses, and tool-call payloads | Encrypted at rest and in transit; does not appear in agent responses, transcripts, or logs',
    'S07/S08: key encrypted in the database and `enc:` in the sync payload; provider called over TLS; canary scan of responses, transcripts and logs',
  ),
  t(
    'NS-09',
    DESKTOP_CLOUD,
    'Your desktop app connects to MultiClaw Cloud over **HTTPS** for API calls and **WSS** for real-time events.',
    'capture / cloud logs: desktop REST over https://, real-time over wss://',
  ),
  t(
    'NS-10',
    DESKTOP_CLOUD,
    'Both require **TLS 1.2** at minimum; **TLS 1.3** is preferred when available.',
    'S09: on the cloud port TLS 1.0/1.1 refused, 1.2 accepted, 1.3 negotiated by default; the desktop refuses a TLS 1.1-only server',
  ),
  t(
    'NS-11',
    DESKTOP_CLOUD,
    'Authentication uses a **bearer token** issued when you sign in.',
    'sign-in returns a bearer; REST calls without it get 401',
  ),
  t(
    'NS-12',
    DESKTOP_CLOUD,
    "The desktop app stores this token in the WebView's local storage, where it persists until you sign out.",
    'bearer survives a desktop restart (still in the profile, no sign-in); after sign-out it is gone (S06)',
    "desktop-sim's profile folder stands in for the WebView local storage",
  ),
  t(
    'NS-13',
    DESKTOP_CLOUD,
    'The **WSS** connection uses a separate **short-lived HMAC token** that expires and refreshes automatically.',
    'S04: WSS token differs from the bearer, is refused after 4 h, and the desktop gets a new one on reconnect',
  ),
  t(
    'NS-14',
    DESKTOP_CLOUD,
    'Even if a WebSocket token is compromised, its short lifespan limits exposure.',
    'S04: a captured WSS token replayed after 4 h (clock moved) is refused',
  ),
  t(
    'NS-15',
    DESKTOP_CLOUD,
    'The desktop app always initiates outbound connections.',
    'S12: capture: every TCP connection of the desktop host starts with its own SYN',
  ),
  t(
    'NS-16',
    DESKTOP_CLOUD,
    'MultiClaw Cloud does not initiate connections back to your machine.',
    'S12: capture: no SYN (or first UDP packet) from the cloud towards a site',
  ),
  t(
    'NS-17',
    DESKTOP_CLOUD,
    'If the HTTPS or WSS connection drops, the desktop app reconnects automatically and re-authenticates with the existing bearer token.',
    'S01 (toxiproxy reset and blackhole) and S03 (cloud restart): reconnect with the bearer, no sign-in; reconnect time measured',
  ),
  t(
    'NS-18',
    DESKTOP_CLOUD,
    "You don't need to sign in again unless the token has been revoked (for example, after a password change or a forced sign-out by a workspace owner).",
    'S01 (no sign-in after drops); S06 (password change / forced sign-out: the desktop reports signed out and stops retrying)',
  ),
  t(
    'NS-19',
    GATEWAY_CLOUD,
    'The local OpenClaw gateway maintains its own **WSS** connection to MultiClaw Cloud.',
    'gateway opens its own wss:// connection, independent of the desktop (stays up when the desktop is stopped)',
  ),
  t(
    'NS-20',
    GATEWAY_CLOUD,
    'This connection operates in a separate trust zone from the desktop app — each uses its own credentials and neither shares tokens with the other.',
    'S14: the bearer cannot open a gateway channel; the gateway credential cannot call the desktop REST API',
  ),
  t(
    'NS-21',
    GATEWAY_CLOUD,
    'The gateway authenticates with a long-lived workspace auth token stored in `~/.openclaw/openclaw.json`.',
    'gateway connects using only the token from openclaw.json; days later (clock moved) it still works',
  ),
  t(
    'NS-22',
    GATEWAY_CLOUD,
    'For each WebSocket session, the gateway generates a separate short-lived signed token in memory and does not write it to disk.',
    'S02/S16: each session has a new token; a file scan of the host finds none',
  ),
  t(
    'NS-23',
    GATEWAY_CLOUD,
    'When the session ends, the gateway discards the token and generates a new one on reconnect.',
    'S02: the token after reconnect differs from the old one, and the old one is refused',
  ),
  t(
    'NS-24',
    GATEWAY_CLOUD,
    "If the gateway's WebSocket connection drops, the gateway reconnects and generates a fresh short-lived session token.",
    'S02/S03: after a drop the gateway reconnects by itself with a new session token, retrying meanwhile with growing, jittered delays',
  ),
  t(
    'NS-25',
    GATEWAY_CLOUD,
    'Running tasks continue locally during brief outages — status updates sync to MultiClaw Cloud once the connection is restored.',
    'S02: a task keeps running while the WSS is down; after heal every status update reaches the cloud, in order, exactly once, also when the gateway restarted during the outage',
  ),
  t(
    'NS-26',
    DESKTOP_GATEWAY,
    'The desktop app communicates with the local OpenClaw gateway over **HTTP on 127.0.0.1** (localhost).',
    'S12/S13: desktop → http://127.0.0.1:<port>; the gateway listens on 127.0.0.1 only',
  ),
  t(
    'NS-27',
    DESKTOP_GATEWAY,
    'This connection stays on your machine and is not exposed on any network interface — only local software can reach it.',
    "S12: the gateway port is unreachable from the neighbour host and via the host's LAN address",
  ),
  t(
    'NS-28',
    DESKTOP_GATEWAY,
    'Authentication uses a **session token** generated when the gateway starts.',
    'S13: a new token on each gateway start; the one from the previous start is refused',
  ),
  t(
    'NS-29',
    DESKTOP_GATEWAY,
    'The gateway verifies the token on every request using HMAC-SHA256 and does not transmit it outside your machine.',
    'S13: missing or wrong token → 401 on every endpoint; capture on the uplink never shows the token',
  ),
  t(
    'NS-30',
    DESKTOP_GATEWAY,
    'Because this connection stays on localhost, it does not use TLS.',
    'S13: the gateway API answers plain HTTP',
  ),
  t(
    'NS-31',
    DESKTOP_GATEWAY,
    "The traffic never leaves your machine's loopback interface, so network-level interception is not possible under normal operating conditions.",
    'S12: capture on the desktop host uplink (and at the router) shows none of the local API traffic',
  ),
  t(
    'NS-32',
    WEBRTC,
    'When you view a cloud desktop, the video stream travels over a **WebRTC DataChannel** using DTLS/SCTP encryption.',
    'viewer receives JPEG frames over a DataChannel; capture shows DTLS records only',
  ),
  t(
    'NS-33',
    WEBRTC,
    'The cloud desktop sends JPEG frames directly to your desktop app, and the two endpoints negotiate a direct connection when possible.',
    'with no faults the selected ICE pair is host/srflx (not relay); frames arrive',
  ),
  t(
    'NS-34',
    WEBRTC,
    'If a direct connection is not possible (for example, due to a restrictive firewall), MultiClaw provides a **TURN relay** to carry the stream.',
    'firewall blocks direct UDP: the viewer connects through coturn (relay candidate) and frames arrive',
  ),
  t(
    'NS-35',
    WEBRTC,
    'The relay forwards encrypted data without decrypting it.',
    'capture on the relay host: only DTLS records; the canary frame content never appears in plaintext',
  ),
  t(
    'NS-36',
    WEBRTC,
    'Connection negotiation (ICE candidates) runs through MultiClaw Cloud over the same **WSS** channel used for real-time communication.',
    'offers, answers and candidates are relayed as WSS messages by the cloud (cloud logs / WSS frames)',
  ),
  t(
    'NS-37',
    WEBRTC,
    'ICE candidate exchange is authenticated through the existing WSS session, so unauthenticated parties cannot inject candidates.',
    'a WSS client without a valid token cannot connect; a client of another user cannot address the session (refused)',
  ),
  t(
    'NS-38',
    LLM,
    'The local OpenClaw gateway calls your LLM provider (for example, `api.openai.com`) directly over **HTTPS**.',
    'S09: capture: gateway → api.llm.test:443 over TLS, offering nothing below 1.2; the cloud is not on that path',
    NAMES,
  ),
  t(
    'NS-39',
    LLM,
    'MultiClaw Cloud stores your API key in encrypted form and delivers it to your instance during configuration sync.',
    'S07/S08: ciphertext only in the database; the key arrives in the config sync as `enc:`',
  ),
  t(
    'NS-40',
    LLM,
    'AES-256-GCM encryption, keyed to the instance token, protects the key in transit.',
    "S08: the config sync read on the wire (DPI box the site trusts) carries the key only as AES-256-GCM under the instance token's HKDF key; another instance's token cannot open it",
  ),
  t(
    'NS-41',
    LLM,
    'On the instance, the gateway decrypts the key and uses it to call your LLM provider directly.',
    'S07: the provider records calls with the right key coming from the instance host',
  ),
  t(
    'NS-42',
    LLM,
    'The API key does not appear in agent responses, transcripts, or logs returned to MultiClaw Cloud.',
    'S08: canary scan of task results, synced transcripts, logs and WSS captures (DPI with trusted CA) for the planted key; S16: the transcript and task statuses the cloud holds have no trace of the agent key',
  ),
  t(
    'NS-43',
    LLM,
    'If you rotate your API key or change providers, update the key in your workspace settings.',
    "the cloud's agent settings API accepts a new key and a new provider for an agent",
    'the settings page itself: the lab has no cloud web UI and uses the REST calls behind it',
  ),
  t(
    'NS-44',
    LLM,
    'The new key takes effect on the next configuration sync.',
    'S07: after rotation the provider sees only the new key from the next sync on',
  ),
  t(
    'NS-45',
    OUTBOUND,
    'MultiClaw makes only outbound connections from your machine.',
    'S12/the egress-audit checker: capture on the site link: every connection to or from a desktop host was opened by the host',
  ),
  t(
    'NS-46',
    OUTBOUND,
    'The desktop app does not open any inbound TCP or UDP ports.',
    'S12: a sweep of every TCP and UDP port of the desktop host from the neighbour host finds nothing open; its listening sockets are all on loopback',
  ),
  t(
    'NS-47',
    OUTBOUND,
    'The local OpenClaw gateway listens only on **localhost (127.0.0.1)**, so other devices on your network cannot reach it.',
    'S12: the gateway port is bound to 127.0.0.1; a connection from the neighbour host fails',
  ),
  t(
    'NS-48',
    OUTBOUND,
    'The table below lists every external host and port MultiClaw connects to.',
    'the egress-audit checker: every connection of the egress audit matches a row NS-49..NS-53',
  ),
  t(
    'NS-49',
    OUTBOUND,
    'MultiClaw Cloud (API + WebSocket) | `*.multiclaw.io` | `443` | HTTPS, WSS',
    'the egress-audit checker: desktop and gateway reach api.multiclaw.test on 443 only, HTTPS and WSS',
    NAMES,
  ),
  t(
    'NS-50',
    OUTBOUND,
    'Cloud desktop relay (signaling) | `turn.multiclaw.io` | `443` | HTTPS',
    'the egress-audit checker: TCP to turn.multiclaw.test goes to 443 over TLS only',
    `${NAMES}; the "signaling" on 443 is TURN over TLS in the lab (coturn), the page calls it HTTPS`,
  ),
  t(
    'NS-51',
    OUTBOUND,
    'Cloud desktop relay (media) | `turn.multiclaw.io` | `3478`, `5349` | UDP',
    'the egress-audit checker: UDP to turn.multiclaw.test goes to 3478 or 5349 only',
    NAMES,
  ),
  t(
    'NS-52',
    OUTBOUND,
    'Auto-updater | `cdn.multiclaw.io` | `443` | HTTPS',
    'S17/the egress-audit checker: update checks go to cdn.multiclaw.test:443 over TLS',
    NAMES,
  ),
  t(
    'NS-53',
    OUTBOUND,
    'LLM providers (varies by config) | e.g. `api.openai.com`, `api.anthropic.com` | `443` | HTTPS',
    'the egress-audit checker: LLM calls go to the configured provider host on 443 over TLS',
    NAMES,
  ),
  t(
    'NS-54',
    OUTBOUND,
    "You only need to allowlist the LLM provider hosts for the models you've configured.",
    'the egress-audit checker: egress audit shows no connection to a provider host that no agent is configured for',
  ),
  t(
    'NS-55',
    OUTBOUND,
    'If your network blocks outbound UDP, set **WebRTC connection mode** to **TURN relay** in **Settings → Gateway → Browser Automation**.',
    'with UDP blocked at the site router and relay mode set, the viewer connects and frames arrive',
    UI,
  ),
  t(
    'NS-56',
    OUTBOUND,
    'This routes cloud desktop traffic over TCP port `443` instead.',
    'UDP blocked + relay mode: capture shows the viewer traffic only as TCP/TLS to turn.multiclaw.test:443, no UDP',
  ),
  t(
    'NS-57',
    TLS,
    'All external connections use **TLS 1.2** at minimum, with **TLS 1.3** preferred when both endpoints support it.',
    'S09: on every external endpoint 1.0/1.1 refused, 1.2 accepted, 1.3 negotiated by default; clients refuse a server offering only 1.1',
  ),
  t(
    'NS-58',
    TLS,
    'The localhost connection between the desktop app and the local OpenClaw gateway is the only unencrypted path, and that traffic never leaves your machine.',
    'S12/the egress-audit checker: capture on the site link shows no plaintext HTTP/WS; local API traffic is absent from the uplink',
  ),
  t(
    'NS-59',
    TLS,
    "TLS certificate verification uses your **operating system's trust store**.",
    "S10: with the DPI CA untrusted connections fail; installed in the host's trust store they succeed, with no app setting changed",
  ),
  t(
    'NS-60',
    TLS,
    'MultiClaw does not currently pin certificates — it trusts the same certificate authorities your OS trusts.',
    'S10: a re-signing DPI whose CA is in the host trust store is accepted by desktop and gateway (no pinning)',
  ),
  t(
    'NS-61',
    TLS,
    'If your network uses deep packet inspection (DPI) that intercepts and re-signs TLS traffic, WebSocket and WebRTC connections may fail even when the domain is allowlisted.',
    'S10: DPI with an untrusted CA: HTTPS and WSS fail closed with a certificate error and no credential reaches the DPI box in plaintext; S28: viewing a cloud desktop fails closed the same way, TURN over TLS too',
  ),
  t(
    'NS-62',
    TLS,
    'Ask your IT team to exclude `*.multiclaw.io` and `turn.multiclaw.io` from DPI inspection.',
    'S10: DPI with the MultiClaw names excluded: everything works; S28: the cloud desktop viewer too, relayed over TLS on 443',
    NAMES,
  ),
  t(
    'NS-63',
    PROXY,
    'MultiClaw respects the system `HTTP_PROXY` and `HTTPS_PROXY` environment variables.',
    'S11: direct egress blocked, squid in place: desktop and gateway work through HTTP_PROXY/HTTPS_PROXY (squid log shows their CONNECTs)',
  ),
  t(
    'NS-64',
    PROXY,
    'No additional proxy configuration is needed inside MultiClaw.',
    'S11: with only the environment variables set (no proxy option passed to any component) and direct egress blocked, the apps sign in, connect and run a task',
  ),
];
