import { type CatalogueClaim, testable, untestable } from './entry.ts';

/** Claims of `credentials-and-secrets.md` (help-centre path /security-privacy/how-credentials-and-secrets-are-stored). */
const t = (id: string, section: string, sentence: string, hint: string, partial?: string) =>
  testable('credentials-and-secrets', id, section, sentence, hint, partial);
const u = (id: string, section: string, sentence: string, reason: string) =>
  untestable('credentials-and-secrets', id, section, sentence, reason);

const TOP = 'How credentials and secrets are stored';
const KEYS = 'LLM API keys';
const WORKSPACE_TOKEN = 'Workspace auth token';
const BEARER = 'Desktop app bearer token';
const SESSION = 'WebSocket session tokens';
const LOST = 'If a device is lost or compromised';
const NOT_STORED = 'What MultiClaw does not store';
const YOURS = 'Your responsibilities';

const WEBVIEW = "desktop-sim's profile folder stands in for the WebView local storage";
const ASSUMPTION = "an assumption about the user's device and habits that the protections rely on, not a product behaviour";

export const CREDENTIALS_AND_SECRETS_CLAIMS: CatalogueClaim[] = [
  t(
    'CS-01',
    TOP,
    'API keys are encrypted in MultiClaw Cloud, auth tokens rely on OS file permissions, and session tokens live in memory only.',
    'S08 (no plaintext key in the database), S16 (openclaw.json 0600, no session token on disk)',
  ),
  t(
    'CS-02',
    TOP,
    'MultiClaw stores your LLM API keys encrypted in MultiClaw Cloud, auth tokens in local config files protected by OS file permissions, and session tokens in memory only.',
    'S08 + S16, as CS-01',
  ),
  t(
    'CS-03',
    TOP,
    "LLM API keys | MultiClaw Cloud database | Yes — AES-256 application-level encryption | Removing the key from your agent's settings",
    'S08: database dump has only AES-256 ciphertext for the key; S07: removing the key from the agent deletes its row/value',
  ),
  t(
    'CS-04',
    TOP,
    'LLM API keys (cloud desktop sync) | Cloud desktop instance config (prefixed `enc:`) | Yes — AES-256-GCM per-instance key | Instance reset or re-sync from MultiClaw Cloud',
    "S07/S08: the daemon's openclaw.json holds `enc:` values that only its own instance token opens; a re-sync after removal deletes them; resetting the instance config clears them",
  ),
  t(
    'CS-05',
    TOP,
    'Gateway workspace auth token | `~/.openclaw/openclaw.json` | No — OS file permissions only | Removing the user from the workspace',
    'S16: token in plain openclaw.json (0600); S05: removing the user makes the token stop working',
  ),
  t(
    'CS-06',
    TOP,
    'Desktop app bearer token | Desktop app WebView local storage | No — OS file permissions only | Signing out of the desktop app',
    'bearer found in plaintext in the desktop profile folder (owner-only mode); S06: sign-out removes it',
    WEBVIEW,
  ),
  t(
    'CS-07',
    TOP,
    'WebSocket session tokens | Memory only — not written to disk | N/A | Connection close or token expiry',
    'S16: file scan of every host finds no WSS session token; S02/S04: a token stops working after close or expiry',
  ),
  t(
    'CS-08',
    KEYS,
    'MultiClaw Cloud stores your LLM provider API keys in its database, encrypted at rest with application-level encryption.',
    'S08: canary scan of the database dump finds no plaintext key',
  ),
  t(
    'CS-09',
    KEYS,
    'When MultiClaw syncs your configuration to a cloud desktop, it re-encrypts each API key with AES-256-GCM using a per-instance key derived through HKDF-SHA256.',
    'S08: the sync payload value opens with AES-256-GCM under HKDF-SHA256(instance token) and not under another instance token',
  ),
  t(
    'CS-10',
    KEYS,
    "MultiClaw writes the encrypted value (prefixed `enc:`) to the instance's local config.",
    "S07/S08: the daemon's openclaw.json holds the key as an `enc:` value, never in plaintext",
  ),
  t(
    'CS-11',
    KEYS,
    'At runtime, the gateway decrypts the key in memory to call your LLM provider.',
    'S07: the LLM provider records the right key on each call while the file still holds only `enc:`',
  ),
  t(
    'CS-12',
    KEYS,
    'The desktop app and gateway are designed not to log configuration values.',
    'S08: canary scan of every desktop and gateway log for planted keys and tokens (keys planted in a shape the log scrubber does not mask, so a leak shows)',
  ),
  t(
    'CS-13',
    KEYS,
    'Under normal operation, keys do not appear in diagnostic logs.',
    'S08: canary scan of all logs for a planted key the log scrubber has no pattern for',
  ),
  t(
    'CS-14',
    KEYS,
    "To add, update, or remove an API key, open your agent's settings in MultiClaw Cloud.",
    "the cloud's agent settings API adds, replaces and removes an agent's key",
    'the settings page itself: the lab has no cloud web UI and uses the REST calls behind it',
  ),
  t(
    'CS-15',
    KEYS,
    'Changes sync to connected cloud desktops on the next configuration push.',
    'S07: after a key change the next config sync carries the new value to every connected daemon',
  ),
  t(
    'CS-16',
    KEYS,
    'Removing a key from MultiClaw Cloud deletes the encrypted copy from every synced instance.',
    'S07: after removal no synced instance (daemon or local gateway) still holds the `enc:` value',
  ),
  t(
    'CS-17',
    WORKSPACE_TOKEN,
    'When you sign in, MultiClaw Cloud issues a long-lived auth token stored in `~/.openclaw/openclaw.json` as a plain JSON string.',
    'after sign-in and gateway enrolment, openclaw.json holds workspace.authToken as a plain string that still works days later (clock moved)',
  ),
  t(
    'CS-18',
    WORKSPACE_TOKEN,
    'The gateway uses this token to authenticate WebSocket connections to MultiClaw Cloud.',
    'gateway WSS opens with the workspace token; with the token removed or altered the cloud refuses it',
  ),
  t('CS-19', WORKSPACE_TOKEN, 'The token is not encrypted at rest.', 'S16: the token string is readable in openclaw.json'),
  t(
    'CS-20',
    WORKSPACE_TOKEN,
    'OS file permissions on `~/.openclaw/` control read access.',
    'S16: ~/.openclaw is 0700 and openclaw.json 0600; another OS user on the host cannot read it',
  ),
  t(
    'CS-21',
    WORKSPACE_TOKEN,
    'OS file permissions mean that only your operating system user account is intended to read the contents of `~/.openclaw/`.',
    'S16: another OS user on the desktop host gets EACCES on ~/.openclaw and its files',
  ),
  t(
    'CS-22',
    WORKSPACE_TOKEN,
    "The token is scoped to your user account and is not designed to permit access to another user's data.",
    "S14: over user B's own gateway WSS (the channel his gateway token opens) nothing of user A's workspace arrives — her config, tasks, conversations — even while her config is pushed",
  ),
  t(
    'CS-23',
    WORKSPACE_TOKEN,
    'To revoke access after a device is lost, a workspace owner can remove the user on the **Users** page in MultiClaw Cloud.',
    "S05: an Owner removes the user; the user's tokens stop working",
    'the Users page itself: the lab has no cloud web UI and uses the REST call behind it',
  ),
  t(
    'CS-24',
    WORKSPACE_TOKEN,
    'MultiClaw does not currently offer per-device session revocation.',
    "S05: the cloud's OpenAPI document lists no call that revokes one device; removal revokes every device of the user",
  ),
  t(
    'CS-25',
    WORKSPACE_TOKEN,
    'The output should show `drwx------` (owner-only access).',
    'S16: `ls -ld ~/.openclaw/` on the desktop host and the daemon shows drwx------',
  ),
  u(
    'CS-26',
    WORKSPACE_TOKEN,
    'On Windows, right-click the folder, open **Properties → Security**, and confirm only your user account has read access.',
    'Windows ACLs: the lab runs on Linux only',
  ),
  t(
    'CS-27',
    BEARER,
    'The desktop app uses a separate bearer token for its HTTP and real-time API calls to MultiClaw Cloud.',
    "desktop REST calls and the WSS token request carry the bearer, which differs from the gateway's workspace token",
  ),
  t(
    'CS-28',
    BEARER,
    'It stores this token in its WebView local storage, not in `~/.openclaw/openclaw.json`, and does not encrypt it at rest.',
    'bearer in plaintext in the desktop profile folder; absent from openclaw.json',
    WEBVIEW,
  ),
  t(
    'CS-29',
    BEARER,
    'This bearer token is distinct from the gateway workspace auth token.',
    'the two strings differ; each is refused where the other is expected (S14)',
  ),
  t(
    'CS-30',
    BEARER,
    'The gateway reads `openclaw.json` for its WebSocket connection, while the desktop app holds its own bearer token.',
    'gateway started with only openclaw.json connects; desktop connects with only its profile',
  ),
  t(
    'CS-31',
    BEARER,
    'Signing out of the desktop app clears the bearer token from local storage.',
    'S06: after sign-out the profile folder no longer holds the bearer and the cloud refuses it',
    WEBVIEW,
  ),
  t(
    'CS-32',
    SESSION,
    'Each WebSocket connection uses a short-lived HMAC-SHA256-signed token generated fresh for every session.',
    'S01/S02: every (re)connection uses a new HS256 token; a token with a bad signature is refused',
  ),
  t(
    'CS-33',
    SESSION,
    'These tokens exist in memory only while the connection is active and are not written to disk.',
    'S16: file scan of every host (profile, ~/.openclaw, temp) finds no session token',
  ),
  t(
    'CS-34',
    SESSION,
    'Token lifetime depends on the connection type: user session tokens expire after **4 hours**, and daemon (cloud desktop) connection tokens expire after **24 hours**.',
    'S04: with the clock moved, a user token still opens at 3 h 59 min and is refused after 4 h; a daemon token still opens at 23 h 59 min and is refused after 24 h',
  ),
  t(
    'CS-35',
    SESSION,
    'When a token expires, the system generates a new one automatically on reconnect.',
    'S04: after expiry the clients reconnect with a new token without a sign-in',
  ),
  t(
    'CS-36',
    LOST,
    'This revokes the gateway workspace auth token stored on the device.',
    "S05: after user removal the gateway's workspace token is refused and its socket closed",
  ),
  t(
    'CS-37',
    LOST,
    'MultiClaw Cloud stores only a bcrypt hash of your password, but credential reuse remains a risk outside MultiClaw.',
    'S08: the password column holds a bcrypt hash ($2b$); canary scan finds no plaintext password',
  ),
  t(
    'CS-38',
    LOST,
    'The desktop app bearer token is cleared when you sign out, but you cannot remotely sign out a lost device.',
    'S06: sign-out clears the bearer; S05: the API offers no remote sign-out of one device',
  ),
  t(
    'CS-39',
    LOST,
    'Removing the user from the workspace is the primary revocation mechanism.',
    "S05: removal revokes the user's bearer, workspace and WSS tokens on every device",
  ),
  t(
    'CS-40',
    LOST,
    'MultiClaw does not currently offer per-device session revocation.',
    "S05: the cloud's OpenAPI document lists no per-device revocation call (same promise as CS-24)",
  ),
  t(
    'CS-41',
    LOST,
    "Removing a user from the workspace revokes all of that user's tokens across every device.",
    'S05: tokens on two devices of the user stop working, the apps and gateways see their open sockets closed (4003), reconnects are refused; other users untouched',
  ),
  t(
    'CS-42',
    NOT_STORED,
    'MultiClaw does not retain the following values in their original form:',
    'see CS-43..CS-45: canary scan of database dump, logs and host files',
  ),
  t(
    'CS-43',
    NOT_STORED,
    '**Plaintext passwords**: MultiClaw Cloud stores only a bcrypt hash of your password.',
    'S08: bcrypt hash in the database, canary scan finds no plaintext password',
  ),
  t(
    'CS-44',
    NOT_STORED,
    'Neither MultiClaw Cloud nor the desktop app is designed to retain the original password.',
    'S08: canary scan of the database dump, cloud logs and the desktop profile finds no planted password',
  ),
  u(
    'CS-45',
    NOT_STORED,
    '**Browser cookies and session tokens**: MultiClaw is not designed to store cookies or session tokens from pages recorded during a workflow.',
    'workflow recording (the Chrome extension) is not replicated by the lab',
  ),
  t(
    'CS-46',
    YOURS,
    'MultiClaw encrypts API keys at rest, scopes tokens to your user account, and keeps session tokens short-lived.',
    'S08 (keys at rest), S14 (tokens scoped to the user), S04 (4 h / 24 h lifetimes)',
  ),
  u('CS-47', YOURS, 'Your OS user account is not shared with other people.', ASSUMPTION),
  u(
    'CS-48',
    YOURS,
    'Your device has full-disk encryption enabled (FileVault on macOS, BitLocker on Windows, LUKS on Linux).',
    `${ASSUMPTION}; full-disk encryption of the user's laptop is outside the lab`,
  ),
  u('CS-49', YOURS, 'You sign out of the desktop app before lending or decommissioning a device.', ASSUMPTION),
  u('CS-50', YOURS, 'You keep your device locked when unattended.', ASSUMPTION),
  t(
    'CS-51',
    YOURS,
    'Without these measures, unencrypted tokens in `openclaw.json` and local storage are accessible to anyone with physical access to the device.',
    'reading the desktop host files as root (the stand-in for physical access) yields the workspace token and the bearer in plaintext',
    WEBVIEW,
  ),
];
