/**
 * Run by the start-up script (as root, from the components bundle): reads each secret from
 * Secrets Manager and writes it into a 0600 file owned by the service account that uses it.
 * The SDK finds the instance role's credentials through IMDS and honours AWS_ENDPOINT_URL, so
 * nothing secret passes through the script, its arguments, its environment or its logs: the
 * argument names secrets (ARNs) and files only, and the log lines say sizes, never values.
 *
 * usage: node fetch-secrets.ts '<JSON array of SecretFileSpec>'
 */
import { execFileSync } from 'node:child_process';
import { chown, open, rename, rm } from 'node:fs/promises';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

export interface SecretFileSpec {
  /** the environment variable that will name the file (for the log lines) */
  variable: string;
  secretId: string;
  path: string;
  /** the service account that owns the file */
  account: string;
  /**
   * raw: the secret's bytes as they are. pgpass: one line of a PostgreSQL password file for
   * `pgpass` (the secret is the password, or RDS's JSON with a `password` field).
   */
  format: 'raw' | 'pgpass';
  pgpass?: { host: string; port: number; database: string; user: string };
}

function log(fields: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), step: 'secrets', ...fields })}\n`);
}

/** pgpass fields escape `:` and `\` with a backslash. */
function pgpassField(value: string): string {
  return value.replace(/[\\:]/g, (c) => `\\${c}`);
}

function render(spec: SecretFileSpec, secret: Uint8Array): Uint8Array {
  if (spec.format === 'raw') return secret;
  const text = Buffer.from(secret).toString('utf8');
  let password = text;
  try {
    const parsed = JSON.parse(text) as { password?: unknown };
    if (typeof parsed?.password === 'string') password = parsed.password;
  } catch {
    // not JSON: the secret is the password itself
  }
  const p = spec.pgpass!;
  return Buffer.from(`${[p.host, String(p.port), p.database, p.user, password].map(pgpassField).join(':')}\n`);
}

/** Written next to the target and renamed over it, so a reader sees the old file or the new one, never half. */
async function writePrivate(spec: SecretFileSpec, bytes: Uint8Array): Promise<void> {
  const temporary = `${spec.path}.new`;
  await rm(temporary, { force: true });
  const file = await open(temporary, 'wx', 0o600);
  try {
    await file.writeFile(bytes);
    await file.chmod(0o600);
  } finally {
    await file.close();
  }
  const id = (flag: string) => Number(execFileSync('id', [flag, spec.account], { encoding: 'utf8' }).trim());
  await chown(temporary, id('-u'), id('-g'));
  await rename(temporary, spec.path);
}

const specs = JSON.parse(process.argv[2] ?? '[]') as SecretFileSpec[];
const client = new SecretsManagerClient({});
for (const spec of specs) {
  try {
    const answer = await client.send(new GetSecretValueCommand({ SecretId: spec.secretId }));
    const secret =
      answer.SecretBinary ?? (answer.SecretString !== undefined ? Buffer.from(answer.SecretString, 'utf8') : undefined);
    if (!secret) throw new Error('the secret has no value');
    await writePrivate(spec, render(spec, secret));
    log({ event: 'secret.written', variable: spec.variable, path: spec.path, mode: '0600', bytes: secret.length });
  } catch (err) {
    // the SDK's messages name the secret and the reason, never a value
    log({
      event: 'error',
      code: 'secret.read',
      variable: spec.variable,
      secretId: spec.secretId,
      message: `${(err as Error).name}: ${(err as Error).message}`,
    });
    process.exit(1);
  }
}
client.destroy();
