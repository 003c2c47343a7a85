import type { SecureContextOptions } from 'node:tls';
import { SERVER_TLS_POLICY } from '@multiclaw-lab/pki/tls-policy';

/** PEM certificate (chain) and key of an HTTPS service. */
export interface TlsFiles {
  cert: string;
  key: string;
}

/**
 * TLS settings of every external service: TLS 1.2 minimum, as the docs require of every external
 * connection, only AEAD suites on TLS 1.2; TLS 1.3 is negotiated whenever the client offers it
 * (Node prefers the highest).
 */
export function serverTlsOptions(tls: TlsFiles): SecureContextOptions {
  return { cert: tls.cert, key: tls.key, ...SERVER_TLS_POLICY };
}
