import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { IssuedCertificate, LabCA } from './ca.ts';

/**
 * Writes a trust store folder the way OpenSSL reads one through SSL_CERT_FILE: a single
 * `ca-certificates.crt` bundle with the CAs this host trusts. Returns the bundle path.
 */
export async function writeTrustStore(dir: string, cas: Array<Pick<LabCA, 'certPem'>>): Promise<string> {
  await mkdir(dir, { recursive: true });
  const bundle = join(dir, 'ca-certificates.crt');
  await writeFile(bundle, cas.map((c) => c.certPem).join(''));
  return bundle;
}

/** Writes `<name>.crt` (chain: leaf then CA) and `<name>.key` (0600) into `dir`. */
export async function writeServerCertificate(
  dir: string,
  name: string,
  cert: IssuedCertificate,
): Promise<{ certFile: string; keyFile: string }> {
  await mkdir(dir, { recursive: true });
  const certFile = join(dir, `${name}.crt`);
  const keyFile = join(dir, `${name}.key`);
  await writeFile(certFile, cert.chainPem);
  await writeFile(keyFile, cert.keyPem, { mode: 0o600 });
  await chmod(keyFile, 0o600);
  return { certFile, keyFile };
}
