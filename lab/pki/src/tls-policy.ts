/**
 * The TLS policy every server of the lab's internet offers (cloud, CDN, LLM provider, coturn's TLS
 * port): TLS 1.2 at minimum, as the pages require of every external connection, and on TLS 1.2
 * only AEAD suites with forward secrecy. OpenSSL's defaults (and Node's) still offer CBC suites on
 * TLS 1.2, which testssl.sh rates as a finding (LUCKY13); TLS 1.3 suites are all AEAD already.
 */
export const TLS_MIN_VERSION = 'TLSv1.2' as const;

/** OpenSSL names of the TLS 1.2 suites offered: ECDHE key exchange, GCM or ChaCha20-Poly1305 only. */
export const TLS12_AEAD_CIPHERS = [
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-RSA-CHACHA20-POLY1305',
].join(':');

/** The TLS 1.3 suites (OpenSSL's defaults, named so Node's `ciphers` keeps them). */
export const TLS13_CIPHERS = ['TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256', 'TLS_AES_128_GCM_SHA256'].join(':');

/** `minVersion` and `ciphers` for a Node TLS server. */
export const SERVER_TLS_POLICY = { minVersion: TLS_MIN_VERSION, ciphers: `${TLS13_CIPHERS}:${TLS12_AEAD_CIPHERS}` } as const;
