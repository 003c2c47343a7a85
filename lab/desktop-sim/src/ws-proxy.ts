import type { Agent } from 'node:http';
import { HttpsProxyAgent } from 'https-proxy-agent';
import { getProxyForUrl } from 'proxy-from-env';
import { mutant } from './mutant.ts';

/**
 * `ws` ignores HTTP(S)_PROXY by itself. The proxy for a wss:// URL is looked up as for the
 * https:// URL of the same host (proxy-from-env would otherwise look for a `wss_proxy` variable
 * that nobody sets), so REST and WSS go through the same proxy and NO_PROXY applies to both.
 * Returns undefined for a direct connection.
 */
export function proxyAgentFor(wsUrl: URL): Agent | undefined {
  const asHttp = new URL(wsUrl);
  asHttp.protocol = wsUrl.protocol === 'ws:' ? 'http:' : 'https:';
  const proxy = mutant('desktop-ignores-proxy') ? '' : getProxyForUrl(asHttp.toString());
  if (!proxy) return undefined;
  return new HttpsProxyAgent(proxy);
}
