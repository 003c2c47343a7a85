import { getCACertificates, setDefaultCACertificates } from 'node:tls';

/**
 * MultiClaw clients verify TLS against the operating system's trust store and nothing else
 * (no pinning, no bundled roots), as documented. Call once at process start; every later TLS
 * connection without an explicit `ca` (undici, ws) then uses it. Which store that is follows
 * OpenSSL's rules: SSL_CERT_FILE / SSL_CERT_DIR, else the system default. In the lab each host
 * points these at its own trust store folder.
 */
export function useSystemTrustStore(): number {
  const certs = getCACertificates('system');
  setDefaultCACertificates(certs);
  return certs.length;
}
