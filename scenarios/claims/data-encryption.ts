import { type CatalogueClaim, testable, untestable } from './entry.ts';

/** Claims of `data-encryption.md` (help-centre path /security-privacy/data-encryption). */
const t = (id: string, section: string, sentence: string, hint: string, partial?: string) =>
  testable('data-encryption', id, section, sentence, hint, partial);
const u = (id: string, section: string, sentence: string, reason: string) =>
  untestable('data-encryption', id, section, sentence, reason);

const TOP = 'Data encryption';
const OVERVIEW = 'Protection overview';
const LOCAL = 'Local device';
const CLOUD = 'MultiClaw Cloud';
const TRANSIT = 'Encryption in transit';
const NOT_ENCRYPTED = 'What is not encrypted locally';
const FDE = 'Enable full-disk encryption';
const SHARED = 'Shared responsibility';
const VERIFY = 'What you can verify';

const AWS =
  'AWS disk encryption: the lab runs no AWS storage (the aws driver can at most show the staging stack asks for encrypted volumes)';
const AWS_ONLY = 'the only protection named is AWS disk encryption, which the lab cannot observe';
const FDE_REASON = "full-disk encryption of the user's device is outside the product and the lab";
const WEBVIEW = "desktop-sim's profile folder stands in for the WebView local storage";

export const DATA_ENCRYPTION_CLAIMS: CatalogueClaim[] = [
  t(
    'DE-01',
    TOP,
    'MultiClaw Cloud encrypts credentials and API keys with AES-256 and secures all traffic with TLS; local files are plain JSON protected only by OS file permissions.',
    'S08 (no plaintext key in the database), S09 (TLS everywhere external), S16 (local JSON files, owner-only modes)',
  ),
  t(
    'DE-02',
    TOP,
    'MultiClaw encrypts credentials and API keys stored in MultiClaw Cloud and secures all external traffic in transit with TLS.',
    'S08 + S09',
  ),
  t(
    'DE-03',
    TOP,
    'Your local OpenClaw config file, conversation history, and agent definitions are stored as plain text on your device, protected only by OS file permissions.',
    'S16: openclaw.json (agents included) and ~/.openclaw/conversations/*.json parse as JSON, owner-only modes',
  ),
  t(
    'DE-04',
    OVERVIEW,
    'API keys and credentials in `~/.openclaw/openclaw.json` | Not encrypted (plain JSON, OS file permissions)',
    'S16: the file is plain JSON (no file-level encryption), 0600 in a 0700 folder; the workspace token and locally typed keys are readable',
    'keys synced to a cloud desktop are stored `enc:` inside this file (CS-04), so "not encrypted" holds for the file, not for every synced value',
  ),
  t(
    'DE-05',
    OVERVIEW,
    'Desktop app authentication bearer token | Not encrypted (WebView local storage)',
    'the bearer is readable in the desktop profile folder',
    WEBVIEW,
  ),
  t(
    'DE-06',
    OVERVIEW,
    'Conversations in `~/.openclaw/conversations/` | Not encrypted (plain JSON, OS file permissions)',
    'conversation files under ~/.openclaw/conversations/ parse as JSON, owner-only modes',
  ),
  t(
    'DE-07',
    OVERVIEW,
    'Agent definitions, skill files, workflow recordings | Not encrypted (plain JSON, OS file permissions)',
    'agent definitions are plain JSON in openclaw.json (owner-only)',
    'skill files and workflow recordings: the lab has neither skills nor the workflow recorder',
  ),
  t(
    'DE-08',
    OVERVIEW,
    'LLM API keys and instance credentials | AWS disk encryption + application-layer AES-256',
    'S08: database dump holds neither a plaintext key nor a plaintext instance token',
    AWS,
  ),
  u('DE-09', OVERVIEW, 'Synced conversations | AWS disk encryption', AWS_ONLY),
  u('DE-10', OVERVIEW, 'Synced agent definitions and skill files | AWS disk encryption', AWS_ONLY),
  u('DE-11', OVERVIEW, 'Workspace and account metadata | AWS disk encryption', AWS_ONLY),
  t(
    'DE-12',
    LOCAL,
    'Your local OpenClaw config file (`~/.openclaw/openclaw.json`) is stored as **plain JSON** on disk.',
    'S16: the file parses as JSON',
  ),
  t('DE-13', LOCAL, 'It is not encrypted.', 'S16: the file parses as JSON as written, no decryption step'),
  t('DE-14', LOCAL, 'Access is limited by OS file permissions.', 'S16: 0600 file in a 0700 folder'),
  t(
    'DE-15',
    LOCAL,
    'Only your user account can read the file.',
    'S16: another (non-root) OS user on the host gets EACCES reading openclaw.json',
  ),
  t(
    'DE-16',
    LOCAL,
    'The OpenClaw runtime stores all configuration as plain JSON files.',
    'every file the gateway writes under ~/.openclaw parses as JSON',
  ),
  t(
    'DE-17',
    LOCAL,
    'MultiClaw reads and writes these files but does not apply its own encryption layer.',
    'S16: the config the gateway writes is plain JSON; a value edited by hand in the file is picked up',
    'synced keys keep their `enc:` sealing inside the file (CS-04)',
  ),
  t(
    'DE-18',
    LOCAL,
    "The desktop app's authentication bearer token is stored in the WebView's local storage.",
    'the bearer is in the desktop profile folder',
    WEBVIEW,
  ),
  t(
    'DE-19',
    LOCAL,
    'The bearer token is separate from the gateway workspace auth token, which is stored in `~/.openclaw/openclaw.json` alongside the API keys.',
    'two different strings: bearer in the profile, workspace token in openclaw.json next to the agents',
  ),
  t(
    'DE-20',
    LOCAL,
    'Neither token is encrypted at rest on the local device.',
    'both tokens are readable in plaintext in their files on the desktop host',
  ),
  u(
    'DE-21',
    CLOUD,
    'Workspace data stored in MultiClaw Cloud is hosted on **AWS**, which encrypts storage volumes at rest using AWS-managed encryption keys.',
    AWS_ONLY,
  ),
  t(
    'DE-22',
    CLOUD,
    'Sensitive values — such as LLM API keys and instance credentials — receive an additional layer of protection: they are encrypted at the application layer using **AES-256** before being stored.',
    'S08: database dump holds AES-256 ciphertext and no plaintext key or instance credential (canary)',
  ),
  t(
    'DE-23',
    CLOUD,
    'When MultiClaw Cloud syncs your configuration to a cloud desktop instance, it also encrypts API keys and credentials with AES-256-GCM in the sync payload, using a key derived from your instance token.',
    "S08: the config sync read on the wire (DPI box the site trusts) carries only `enc:` AES-256-GCM values, the ones the instances wrote; another instance's token cannot open them",
  ),
  t(
    'DE-24',
    CLOUD,
    "Application-layer encryption keys for credentials are managed by MultiClaw's infrastructure.",
    "the cloud's master key comes from its key file / KMS setting; no API sets or returns it",
  ),
  t(
    'DE-25',
    CLOUD,
    'Workspace members do not hold or control these keys.',
    'no REST or WSS response to an Owner or Member contains the master key; no call changes it',
  ),
  t(
    'DE-26',
    TRANSIT,
    'All traffic between MultiClaw components and external services travels over encrypted connections.',
    'S09/the egress-audit checker: capture on the site link shows only TLS (and DTLS for the viewer), never plaintext HTTP/WS',
  ),
  t(
    'DE-27',
    TRANSIT,
    'The only exception is the link between the desktop app and the local OpenClaw gateway, which uses an unencrypted connection on localhost.',
    'S12/S13: the gateway API speaks plain HTTP on 127.0.0.1 only',
  ),
  t(
    'DE-28',
    TRANSIT,
    'This traffic never leaves your machine.',
    'S12: capture on the desktop host uplink shows none of the local API traffic',
  ),
  t(
    'DE-29',
    TRANSIT,
    'Desktop app ↔ MultiClaw Cloud (HTTP) | **HTTPS**: TLS 1.2 minimum, TLS 1.3 preferred',
    'S09: TLS 1.0/1.1 refused, 1.2 accepted, 1.3 negotiated by default',
  ),
  t(
    'DE-30',
    TRANSIT,
    'Gateway ↔ MultiClaw Cloud (WebSocket) | **WSS** (WebSocket Secure): TLS-encrypted',
    'S09: the gateway channel is wss:// over TLS 1.2+; a plain ws:// upgrade is not offered',
  ),
  t(
    'DE-31',
    TRANSIT,
    'Desktop app ↔ local OpenClaw gateway | **WS/HTTP on localhost**: unencrypted, never leaves your machine',
    'S12/S13: plain HTTP on 127.0.0.1; nothing of it on the host uplink',
  ),
  t(
    'DE-32',
    TRANSIT,
    'Local gateway → LLM provider API | **HTTPS**: TLS-encrypted',
    'S09: capture: gateway → api.llm.test only over TLS on 443, offering nothing below 1.2; the gateway refuses a provider that offers only TLS 1.0/1.1',
  ),
  t(
    'DE-33',
    TRANSIT,
    'Cloud desktop viewer (WebRTC) | **DTLS-SRTP**: standard encryption for peer-to-peer media',
    'capture on the viewer path (direct or TURN) shows DTLS records only, no plaintext frames',
    'SRTP: the viewer uses a WebRTC DataChannel (DTLS/SCTP), as network-security.md says (NS-32), not SRTP media; the two pages disagree',
  ),
  t(
    'DE-34',
    NOT_ENCRYPTED,
    'The local files listed in the protection overview use OS file permissions as their only protection.',
    'S16: those files are plain JSON with owner-only modes',
  ),
  u(
    'DE-35',
    NOT_ENCRYPTED,
    "That's sufficient against remote access, but it doesn't protect against physical access to your device.",
    'a risk assessment, not a behaviour; that nothing on the host is reachable from the network is NS-45..NS-47',
  ),
  t(
    'DE-36',
    NOT_ENCRYPTED,
    'If your device is lost, stolen, or accessed by someone with your OS credentials, these files are readable.',
    "as the desktop host's user (or root, the stand-in for physical access) the files read as plaintext",
  ),
  u('DE-37', NOT_ENCRYPTED, 'Full-disk encryption closes this gap.', FDE_REASON),
  t(
    'DE-38',
    NOT_ENCRYPTED,
    'When you connect to a workspace, conversations, agent definitions, and skill files sync to MultiClaw Cloud, where they receive AWS disk encryption.',
    "S16: asked from the cloud's side, a connected gateway's conversation arrives by itself and the cloud holds the agent definition the gateway runs with",
    'skill files (not in the lab) and AWS disk encryption (no AWS storage in the lab)',
  ),
  u(
    'DE-39',
    FDE,
    'Full-disk encryption protects all files on your device, including the plain-text data listed above, from unauthorized physical access.',
    FDE_REASON,
  ),
  t(
    'DE-40',
    SHARED,
    'MultiClaw encrypts your credentials and API keys in the cloud.',
    'S08: no plaintext key in the database dump',
  ),
  u(
    'DE-41',
    SHARED,
    'Protecting your local device is your responsibility.',
    "the user's share of the responsibility, not a product behaviour",
  ),
  t(
    'DE-42',
    SHARED,
    'API keys and credentials in MultiClaw Cloud | MultiClaw | AES-256 application encryption + AWS disk encryption',
    'S08: AES-256 ciphertext only in the database dump',
    AWS,
  ),
  u('DE-43', SHARED, 'Cloud storage volumes | AWS | AWS-managed disk encryption', AWS_ONLY),
  t(
    'DE-44',
    SHARED,
    'Traffic between MultiClaw and external services | MultiClaw | TLS 1.2+ for HTTP, WSS for WebSocket',
    'S09: every external endpoint refuses TLS < 1.2; WebSocket only as wss://',
  ),
  u(
    'DE-45',
    SHARED,
    'Local config, agent files, and conversations | You | OS file permissions + full-disk encryption',
    'assigned to the user (their OS account and full-disk encryption); the owner-only modes MultiClaw itself sets are verified by CS-20/DE-15',
  ),
  u(
    'DE-46',
    SHARED,
    'Authentication tokens on your device | You | OS file permissions + full-disk encryption',
    'assigned to the user (their OS account and full-disk encryption); the owner-only modes MultiClaw itself sets are verified by CS-20/DE-15',
  ),
  t(
    'DE-47',
    VERIFY,
    '**Transit encryption**: All connections from the desktop app and Gateway to MultiClaw Cloud use HTTPS and WSS.',
    'S09/the egress-audit checker: capture: desktop and gateway reach the cloud only over TLS on 443',
  ),
  t(
    'DE-48',
    VERIFY,
    'You can confirm this with browser developer tools or a network monitoring tool — all external traffic will show TLS certificates issued to MultiClaw domains.',
    'capture: every TLS handshake towards the cloud, relay and CDN presents a certificate for a multiclaw name (*.multiclaw.test in the lab)',
    "LLM provider calls present the provider's own certificate, not a MultiClaw one; the lab checks the MultiClaw endpoints",
  ),
  t(
    'DE-49',
    VERIFY,
    "**Cloud encryption at rest**: Application-layer encryption of cloud-stored credentials is handled transparently by MultiClaw's infrastructure.",
    'a key sent in plaintext over the API is stored encrypted with no action or key from the user (S08)',
  ),
  t(
    'DE-50',
    VERIFY,
    'You cannot inspect it directly — this is a trust boundary inherent to any cloud-hosted service.',
    'no REST or WSS response returns a stored key, its ciphertext or the master key; only the harness reads the database',
  ),
  t(
    'DE-51',
    VERIFY,
    'MultiClaw Cloud encrypts credentials and API keys stored in its database.',
    'S08: canary scan of the database dump',
  ),
  t(
    'DE-52',
    VERIFY,
    'Local files on your device — including config, conversations, and agent data — are not encrypted by MultiClaw.',
    'S16: openclaw.json and conversation files are plain JSON',
    'synced keys keep their `enc:` sealing inside openclaw.json (CS-04)',
  ),
  u('DE-53', VERIFY, 'Full-disk encryption is the most effective way to protect them.', FDE_REASON),
];
