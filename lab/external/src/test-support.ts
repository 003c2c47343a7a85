/** Helpers for this package's tests only (not exported from the package). */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createLogger, type Logger } from '@multiclaw-lab/kit';
import { createLabCA, type LabCA } from '@multiclaw-lab/pki';
import { Agent } from 'undici';

export interface TestTls {
  ca: LabCA;
  tls: { cert: string; key: string };
  /** an undici dispatcher that trusts only the test CA (never the machine's trust store) */
  agent: Agent;
}

export async function testTls(): Promise<TestTls> {
  const ca = await createLabCA();
  const leaf = await ca.issue(['localhost', '127.0.0.1']);
  return { ca, tls: { cert: leaf.chainPem, key: leaf.keyPem }, agent: new Agent({ connect: { ca: ca.certPem } }) };
}

/** A logger whose JSON lines are kept in memory, to assert on events and scan for secrets. */
export function capturingLogger(service: string): { logger: Logger; lines: string[]; events: () => Record<string, unknown>[] } {
  const lines: string[] = [];
  const logger = createLogger({ service, level: 'debug', destination: { write: (line: string) => void lines.push(line) } });
  return { logger, lines, events: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

export async function tempDir(prefix: string): Promise<{ path: string; remove: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

const run = promisify(execFile);

/**
 * A TLS handshake with `openssl s_client` at one protocol version. SECLEVEL=0 lets the client
 * offer old versions at all, so a refusal comes from the server. Async: the server under test
 * runs in this process.
 */
export async function opensslHandshake(
  port: number,
  version: '-tls1_1' | '-tls1_2' | '-tls1_3',
): Promise<{ ok: boolean; output: string }> {
  const args = ['s_client', '-connect', `127.0.0.1:${port}`, '-servername', 'localhost', version];
  if (version !== '-tls1_3') args.push('-cipher', 'DEFAULT:@SECLEVEL=0');
  const child = run('openssl', args, { timeout: 20_000 });
  child.child.stdin?.end();
  try {
    const { stdout, stderr } = await child;
    return { ok: true, output: stdout + stderr };
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    return { ok: false, output: (e.stdout ?? '') + (e.stderr ?? '') };
  }
}
