import { type CatalogueClaim, testable, untestable } from './entry.ts';

/** Claims of `security-overview.md` (help-centre path /security-privacy/security-overview). */
const t = (id: string, section: string, sentence: string, hint: string, partial?: string) =>
  testable('security-overview', id, section, sentence, hint, partial);
const u = (id: string, section: string, sentence: string, reason: string) =>
  untestable('security-overview', id, section, sentence, reason);

const TOP = 'Security overview';
const ZONES = 'Separate trust zones';
const AUTH = 'Authentication and login security';
const ROLES = 'Roles and access control';
const ENCRYPTION = 'Encryption at rest and in transit';
const LOCAL_FIRST = 'Local-first data storage';
const CREDENTIALS = 'Credential and secret storage';
const SANDBOX = 'Sandboxed desktop app';
const EXTENSION = 'Browser extension isolation';
const PRIVACY = 'Privacy and data handling';
const UPDATES = 'Signed updates and supply chain security';
const CONNECTIONS = 'Allowed external connections';
const INCIDENTS = 'Incident reporting';
const SHARED = 'Shared responsibility';

const TAURI =
  'the lab has no desktop UI: desktop-sim replaces the Tauri app and its WebView, so there is no Tauri capability model to observe';
const EXTENSION_REASON = 'the lab has no browser and no Chrome extension (workflow recording is not replicated)';

export const SECURITY_OVERVIEW_CLAIMS: CatalogueClaim[] = [
  t(
    'SO-01',
    TOP,
    'MultiClaw protects your data through layered security, TLS encryption in transit, app sandboxing, and a no-telemetry policy.',
    'summary: TLS as SO-20 (S09), no telemetry as SO-33/SO-42 (egress audit, the egress-audit checker)',
    'app sandboxing (Tauri), see SO-28..SO-30',
  ),
  t(
    'SO-02',
    TOP,
    'MultiClaw protects your data through multiple independent security layers: local credential storage, TLS connections, app sandboxing, and zero telemetry.',
    'summary: local credential storage as SO-25 (S16), TLS as SO-20 (S09), zero telemetry as SO-33 (the egress-audit checker)',
    'app sandboxing (Tauri), see SO-28..SO-30',
  ),
  u(
    'SO-03',
    TOP,
    'Each layer works on its own, reducing the risk that a single vulnerability leads to broader exposure.',
    'a property of the architecture as a whole (risk reduction), not an observable behaviour; each layer is verified through its own claims',
  ),
  u(
    'SO-04',
    TOP,
    'The architecture follows **defense-in-depth** principles aligned with **ISO/IEC 27001:2022**.',
    'ISO/IEC 27001 alignment is an organisational and audit matter, not a behaviour of the running product',
  ),
  t(
    'SO-05',
    ZONES,
    'The desktop app, the local OpenClaw gateway, and MultiClaw Cloud operate as three distinct trust zones, each with its own authentication:',
    'S14: a desktop bearer cannot open a gateway channel, a gateway credential cannot call the desktop REST API, the gateway local API refuses cloud credentials',
  ),
  t(
    'SO-06',
    ZONES,
    '**Desktop app**: connects to MultiClaw Cloud over HTTPS and WSS for API calls, real-time updates, agent configuration, and session data.',
    'capture on the site link: the desktop host talks to the cloud only over TLS on 443 (HTTPS REST + WSS); S09/the egress-audit checker',
  ),
  t(
    'SO-07',
    ZONES,
    '**Local OpenClaw gateway**: connects to MultiClaw Cloud separately over an authenticated WebSocket secured with short-lived signed tokens.',
    'S02/S04: the gateway opens its own WSS with its own short-lived HMAC token; a missing or forged token is refused',
  ),
  t(
    'SO-08',
    ZONES,
    'These tokens rotate automatically, so a captured token expires before it can be reused.',
    'S02/S04: each reconnect brings a new token different from the old; a captured token is refused after its lifetime (clock moved past 4 h / 24 h)',
  ),
  t(
    'SO-09',
    ZONES,
    'Each connection enforces its own credentials.',
    'S14: each endpoint (cloud REST, cloud WSS user/gateway, gateway local API) refuses the credential of another',
  ),
  t(
    'SO-10',
    ZONES,
    'No zone shares authentication tokens with another.',
    'S14 + capture: the bearer, the workspace auth token and the local session token are all different and each is seen only on its own link',
  ),
  t(
    'SO-11',
    AUTH,
    'All authentication is handled by MultiClaw Cloud.',
    'S06/S15: sign-in, lockout and revocation decisions come from the cloud; the desktop and gateway accept no password of their own',
  ),
  t(
    'SO-12',
    AUTH,
    'You can sign in with email and password or through Multiplai single sign-on (SSO).',
    'every scenario signs in with email and password',
    'Multiplai SSO: the lab replicates no SSO identity provider',
  ),
  t(
    'SO-13',
    AUTH,
    'Sessions use short-lived tokens that rotate automatically, and repeated failed login attempts trigger temporary account lockouts.',
    'S04 (WSS tokens expire and are renewed on reconnect) and S15 (lockout after repeated failures, then recovery)',
  ),
  t(
    'SO-14',
    ROLES,
    'MultiClaw uses role-based access control (RBAC) in workspaces.',
    'S14: Owner and Member get different answers from the same workspace endpoints; S29: a role is had only by accepting an invitation',
  ),
  t(
    'SO-15',
    ROLES,
    'Each person is assigned exactly one role — Owner or Member — which determines what they can view, create, and manage.',
    'S14: a workspace member list shows one role per user, only Owner or Member; role decides the allowed calls',
  ),
  t(
    'SO-16',
    ROLES,
    'Permissions follow a least-privilege model: users only have access to what their role requires.',
    'S14: a Member cannot remove users or manage keys (403); a user cannot read a workspace they do not belong to; S29: a stranger who invited you cannot sign you out or remove you',
  ),
  t(
    'SO-17',
    ENCRYPTION,
    '**Config values** are stored in your local config file (`~/.openclaw/openclaw.json`) as plain JSON.',
    'S16: openclaw.json parses as JSON and holds the agents and workspace settings',
  ),
  t(
    'SO-18',
    ENCRYPTION,
    "The file is not encrypted at rest; it is protected by your operating system's file permissions.",
    'S16: openclaw.json is readable JSON, mode 0600 inside a 0700 ~/.openclaw',
  ),
  t(
    'SO-19',
    ENCRYPTION,
    'Credentials and API keys stored in **MultiClaw Cloud** receive an additional application-layer encryption with **AES-256** on top of AWS disk encryption.',
    'S08: database dump holds no plaintext key (canary), only AES-256 ciphertext',
    'AWS disk encryption: the lab runs no AWS storage',
  ),
  t(
    'SO-20',
    ENCRYPTION,
    'All connections to external MultiClaw services use **TLS 1.2 or higher**, covering both HTTPS and WebSocket (WSS) traffic.',
    'S09: TLS 1.0/1.1 refused, 1.2 accepted, on every external endpoint (cloud HTTPS and WSS, CDN, TURN TLS); capture shows no plaintext HTTP',
  ),
  t(
    'SO-21',
    ENCRYPTION,
    'Communication between the desktop app and the local OpenClaw gateway uses an unencrypted connection on localhost only — this traffic never leaves your machine.',
    'S12/S13: gateway API bound to 127.0.0.1, plain HTTP; capture on the host uplink shows none of that traffic',
  ),
  t(
    'SO-22',
    LOCAL_FIRST,
    'Your agents, conversations, and credentials are stored on your machine by default.',
    'agents and credentials in ~/.openclaw/openclaw.json, conversations in ~/.openclaw/conversations/ on the desktop host',
  ),
  t(
    'SO-23',
    LOCAL_FIRST,
    "When you're not connected to a workspace, everything stays local.",
    'a gateway without workspace settings: capture shows no connection to the cloud; cloud database has no rows for its conversations',
  ),
  t(
    'SO-24',
    LOCAL_FIRST,
    'When you connect to a workspace, conversation transcripts sync to MultiClaw Cloud automatically.',
    'connected gateway: a new conversation appears in the cloud (transcript sync) without a user action',
  ),
  t(
    'SO-25',
    CREDENTIALS,
    'Credentials and other sensitive values are stored in your local config file (`~/.openclaw/openclaw.json`) as plain JSON, protected by operating system file permissions.',
    'S16: the workspace auth token and agent keys are in openclaw.json (plain JSON, 0600, dir 0700)',
  ),
  t(
    'SO-26',
    CREDENTIALS,
    'The desktop app does not send stored credentials to MultiClaw Cloud.',
    "S19: plant a key for a local-only agent in openclaw.json and link the gateway: the cloud's database dump, its log and its agents' key fingerprints hold it nowhere",
  ),
  t(
    'SO-27',
    CREDENTIALS,
    'Each credential is scoped to the context that needs it.',
    'S14: bearer only for the desktop REST/WSS, workspace token only for the gateway channel, local session token only for the local API, enc: values only openable by their instance',
  ),
  u('SO-28', SANDBOX, 'The desktop app is built on **Tauri v2**, which enforces a capability-based permission model.', TAURI),
  u('SO-29', SANDBOX, 'The interface layer cannot access your filesystem or start processes on its own.', TAURI),
  u(
    'SO-30',
    SANDBOX,
    'Every sensitive operation goes through an explicitly declared Tauri command, limiting the potential damage from any interface-level vulnerability.',
    TAURI,
  ),
  u(
    'SO-31',
    EXTENSION,
    'The MultiClaw Chrome Extension content script is loaded on all pages, but it only captures and transmits interaction data when a recording session is active.',
    EXTENSION_REASON,
  ),
  u(
    'SO-32',
    EXTENSION,
    'Event listeners are registered when the extension loads; they check whether recording is active before capturing anything, and no data is collected or sent between sessions.',
    EXTENSION_REASON,
  ),
  t(
    'SO-33',
    PRIVACY,
    'MultiClaw Desktop does not collect usage analytics or telemetry.',
    'the egress-audit checker: egress audit over a whole run finds no connection outside the documented table; no analytics payloads reach the cloud',
  ),
  t(
    'SO-34',
    PRIVACY,
    'If the app crashes, the crash log stays on your machine.',
    'S19: crash the desktop simulator (uncaught error): the host capture shows no connection opened, the cloud logs no request meanwhile; the crash report stays on the desktop host',
  ),
  t(
    'SO-35',
    PRIVACY,
    'Conversation content stays on your machine unless you choose to sync it to a workspace.',
    'gateway not connected to a workspace: conversation text (a canary phrase) never appears in any capture or the cloud database',
  ),
  t(
    'SO-36',
    PRIVACY,
    'MultiClaw Cloud stores only the account, workspace, and session data needed to operate the service.',
    'S08: every table and column of the database dump is on a list written from the pages (account, workspace, session data, each with the promise that needs it), not from the schema; anything else, analytics or device data, fails',
    '"needed to operate the service" is a judgement the lab cannot make; it checks what is stored, not whether it is needed',
  ),
  t(
    'SO-37',
    UPDATES,
    'App updates are signed with **minisign**.',
    'S17: the CDN serves each update with a minisign .minisig verified by the desktop',
  ),
  t(
    'SO-38',
    UPDATES,
    'Before installing an update, the updater verifies the signature against the published public key and rejects any update with an invalid or missing signature.',
    'S17: valid signature → installed; tampered file, wrong key or missing .minisig → refused and nothing installed',
  ),
  u(
    'SO-39',
    UPDATES,
    'Third-party dependencies are pinned to exact versions, scanned for vulnerabilities, and reviewed before they ship.',
    "MultiClaw's dependency pinning, scanning and review are a build and release process the lab cannot observe",
  ),
  t(
    'SO-40',
    CONNECTIONS,
    'MultiClaw makes a fixed, documented set of outbound connections from your machine.',
    'the egress-audit checker: every connection a site makes goes to a host and port of the NS table (NS-49..NS-53)',
  ),
  t(
    'SO-41',
    CONNECTIONS,
    'Each connection has a specific purpose — API calls, real-time updates, AI execution, or update checks.',
    'the egress-audit checker: each connection in the egress audit maps to cloud REST, cloud WSS, LLM provider or CDN',
    'the cloud desktop relay (TURN) connections of the NS table fall outside these four purposes',
  ),
  t(
    'SO-42',
    CONNECTIONS,
    'No undocumented connections are made.',
    'the egress-audit checker: egress audit finds nothing outside the documented table',
  ),
  u(
    'SO-43',
    INCIDENTS,
    'If you discover a security vulnerability, you can report it directly to the MultiClaw security team.',
    "a reporting channel to MultiClaw's security team, not a product behaviour",
  ),
  u(
    'SO-44',
    INCIDENTS,
    'Reports are acknowledged within 24 hours and follow a structured triage and resolution process.',
    "incident response times are an organisational commitment of MultiClaw's team",
  ),
  t(
    'SO-45',
    SHARED,
    'MultiClaw secures the infrastructure, encrypts data in transit, and hardens the app.',
    "S09: data in transit is encrypted on every external connection; S21: the TURN relay refuses the cloud's own hosts (database, cloud) as peers; S26: TURN credentials expire",
    '"secures the infrastructure" is observed only for the TURN relay (no way into the cloud, no lasting access); "hardens the app" is too general to observe',
  ),
  u(
    'SO-46',
    SHARED,
    "You're responsible for protecting your credentials, managing workspace access, and configuring agents appropriately.",
    "the user's share of the responsibility, not a product behaviour",
  ),
];
