/**
 * Outbound HTTPS honours HTTP_PROXY / HTTPS_PROXY / NO_PROXY (the docs promise it). Trust is the
 * process's default store (main.ts installs the OS store first); tests pass their own CA.
 */
import type { Agent as HttpAgent } from 'node:http';
import { HttpsProxyAgent } from 'https-proxy-agent';
import { getProxyForUrl } from 'proxy-from-env';
import { Agent, type Dispatcher, EnvHttpProxyAgent } from 'undici';
import { mutant } from './mutant.ts';

export interface TlsTrust {
  /** PEM CA certificate(s) to trust instead of the default store */
  ca?: string | string[];
}

/** undici dispatcher for fetch: proxy from the environment, TLS verified against `ca` or the default store. */
export function createHttpDispatcher(trust: TlsTrust = {}): Dispatcher {
  const tls = { ...(trust.ca ? { ca: trust.ca } : {}), ...anyCertificate() };
  if (mutant('gateway-ignores-proxy')) return new Agent({ connect: tls });
  return new EnvHttpProxyAgent({ connect: tls, requestTls: tls });
}

/** The defect of `gateway-accepts-any-certificate`; nothing otherwise. */
export const anyCertificate = () => (mutant('gateway-accepts-any-certificate') ? { rejectUnauthorized: false } : {});

/**
 * `ws` ignores proxy variables, so the WSS upgrade goes through an HTTPS CONNECT agent when the
 * environment names a proxy for the cloud's https:// origin (lookup by https, not wss, so that
 * HTTPS_PROXY and NO_PROXY apply as they do for fetch).
 */
export function wsProxyAgent(wssUrl: string, trust: TlsTrust = {}): HttpAgent | undefined {
  const httpsUrl = wssUrl.replace(/^wss:/, 'https:');
  const proxy = mutant('gateway-ignores-proxy') ? '' : getProxyForUrl(httpsUrl);
  if (!proxy) return undefined;
  return new HttpsProxyAgent(proxy, { ...(trust.ca ? { ca: trust.ca } : {}), ...anyCertificate() });
}
