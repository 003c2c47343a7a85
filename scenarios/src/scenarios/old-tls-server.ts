/**
 * A server that speaks only TLS 1.0 and 1.1, inside a site host, for checking the clients' own
 * TLS minimum (S09): the desktop app and the gateway pointed at it must refuse the handshake.
 * Its certificate is issued by the lab CA for `localhost`, so a client that refuses it can only be
 * refusing the protocol version, and SECLEVEL=0 lets openssl really offer the old versions.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ScenarioContext } from '../context.ts';

export interface OldTlsServer {
  /** `https://localhost:PORT`, reachable from inside the host only */
  url: string;
  /** what openssl printed so far (handshake errors, accepted connections) */
  output(): string;
  /**
   * Resolves when a client completes a handshake with it (openssl prints the cipher): what a
   * client that accepts TLS 1.0/1.1 does. The server never answers a request, so a check races
   * this against the client's own outcome instead of waiting for a reply that cannot come.
   */
  handshakeCompleted(): Promise<void>;
}

/** A TLS handshake the client refused because of the protocol version, in Node's, undici's and openssl's words. */
export const PROTOCOL_VERSION_REFUSAL =
  /protocol[ _]version|unsupported[ _]protocol|wrong[ _]version[ _]number|no[ _]protocols[ _]available/i;

/** Starts `openssl s_server` (TLS 1.0/1.1 only) on 127.0.0.1 of `hostId`; stopped when the scenario ends. */
export async function startOldTlsServer(ctx: ScenarioContext, hostId: string): Promise<OldTlsServer> {
  const port = 20_000 + Math.floor(ctx.random() * 20_000);
  const certificate = await ctx.lab.ca.issue(['localhost']);
  const dir = await mkdtemp(join(tmpdir(), 'old-tls-'));
  const [cert, key] = [join(dir, 'cert.pem'), join(dir, 'key.pem')];
  await writeFile(cert, certificate.certPem);
  await writeFile(key, certificate.keyPem, { mode: 0o600 });
  const args = ['s_server', '-accept', `127.0.0.1:${port}`, '-cert', cert, '-key', key];
  args.push('-no_tls1_2', '-no_tls1_3', '-cipher', 'DEFAULT:@SECLEVEL=0');
  const child = ctx.lab.driver.spawn(hostId, 'openssl', args, { env: { PATH: process.env.PATH } });
  let output = '';
  const handshakes: Array<() => void> = [];
  const collect = (b: Buffer) => {
    output += b.toString('utf8');
    if (output.includes('CIPHER is')) for (const resolve of handshakes.splice(0)) resolve();
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  ctx.onCleanup(async () => {
    child.kill('SIGTERM');
    await rm(dir, { recursive: true, force: true });
  });
  // openssl prints ACCEPT once it listens
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`openssl s_server did not start in ${hostId}: ${output}`)), 10_000);
    const ready = () => {
      if (!output.includes('ACCEPT')) return;
      clearTimeout(timer);
      resolve();
    };
    child.stdout?.on('data', ready);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`openssl s_server exited (${code}) in ${hostId}: ${output}`));
    });
  });
  return {
    url: `https://localhost:${port}`,
    output: () => output,
    handshakeCompleted: () =>
      new Promise<void>((resolve) => {
        if (output.includes('CIPHER is')) resolve();
        else handshakes.push(resolve);
      }),
  };
}
