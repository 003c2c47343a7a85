/**
 * The defect of mutant 'workspace-token-encoded-at-rest': the workspace auth token goes into
 * openclaw.json encrypted (under a key built into the program, as apps that "protect" a token
 * often do) instead of as the plain JSON string the pages tell users to expect. Used only when the
 * lab switches that mutant on.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

const KEY = createHash('sha256').update('openclaw-local-token-key').digest();
const PREFIX = 'enc-local:';

type WithWorkspace = { workspace?: { authToken?: unknown } | null };

function mapToken<T>(config: T, f: (token: string) => string): T {
  const ws = (config as WithWorkspace).workspace;
  if (!ws || typeof ws.authToken !== 'string') return config;
  return { ...config, workspace: { ...ws, authToken: f(ws.authToken) } };
}

export function encryptTokenAtRest<T>(config: T): T {
  return mapToken(config, (token) => {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', KEY, iv);
    const body = Buffer.concat([cipher.update(token, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return `${PREFIX}${Buffer.concat([iv, body]).toString('base64url')}`;
  });
}

export function decryptTokenAtRest<T>(config: T): T {
  return mapToken(config, (stored) => {
    if (!stored.startsWith(PREFIX)) return stored;
    const raw = Buffer.from(stored.slice(PREFIX.length), 'base64url');
    const decipher = createDecipheriv('aes-256-gcm', KEY, raw.subarray(0, 12));
    decipher.setAuthTag(raw.subarray(raw.length - 16));
    return Buffer.concat([decipher.update(raw.subarray(12, raw.length - 16)), decipher.final()]).toString('utf8');
  });
}
