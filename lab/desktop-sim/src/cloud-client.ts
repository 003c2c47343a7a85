import type { Logger } from '@multiclaw-lab/kit';
import { EnvHttpProxyAgent } from 'undici';
import type { z } from 'zod';
import { requestJson } from './http.ts';
import { mutant } from './mutant.ts';

/** The TLS defects of the desktop's catalogued mutants (`pnpm lab mutate`); nothing otherwise. */
export function tlsDefects(): { rejectUnauthorized?: false; minVersion?: 'TLSv1'; ciphers?: string } {
  return {
    ...(mutant('desktop-accepts-any-certificate') ? { rejectUnauthorized: false as const } : {}),
    ...(mutant('desktop-accepts-tls-1-0') ? { minVersion: 'TLSv1' as const, ciphers: 'DEFAULT:@SECLEVEL=0' } : {}),
  };
}

export interface CloudClientOptions {
  cloudUrl: URL;
  /** CA certificates to trust instead of the process default (tests); the CLI uses the OS trust store */
  ca?: string | string[] | undefined;
  logger: Logger;
}

/**
 * REST calls to MultiClaw Cloud. HTTPS only, TLS 1.2 minimum, through undici with an
 * EnvHttpProxyAgent so HTTP_PROXY / HTTPS_PROXY / NO_PROXY are honoured as the docs promise
 * (read once, when the app starts, like an app launched from a shell profile).
 */
export class CloudClient {
  readonly cloudUrl: URL;
  readonly dispatcher: EnvHttpProxyAgent;
  readonly #logger: Logger;

  constructor(options: CloudClientOptions) {
    this.cloudUrl = options.cloudUrl;
    this.#logger = options.logger;
    const tls = { minVersion: 'TLSv1.2' as const, ...(options.ca ? { ca: options.ca } : {}), ...tlsDefects() };
    // `connect` is used for direct connections, `requestTls` for the TLS inside a proxy's CONNECT tunnel.
    this.dispatcher = new EnvHttpProxyAgent({
      connect: tls,
      requestTls: tls,
      // the defect of `desktop-ignores-proxy`: as if no proxy variable were set
      ...(mutant('desktop-ignores-proxy') ? { httpProxy: '', httpsProxy: '', noProxy: '*' } : {}),
    });
  }

  url(path: string): URL {
    return new URL(path, this.cloudUrl);
  }

  async call<S extends z.ZodType | undefined = undefined>(
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    path: string,
    options: { bearer?: string | undefined; body?: unknown; schema?: S; signal?: AbortSignal } = {},
  ): Promise<S extends z.ZodType ? z.infer<S> : undefined> {
    try {
      return await requestJson({ method, url: this.url(path), dispatcher: this.dispatcher, service: 'cloud', ...options });
    } catch (err) {
      this.#logger.debug({ event: 'cloud.request_failed', method, path, err }, 'cloud request failed');
      throw err;
    }
  }

  async close(): Promise<void> {
    await this.dispatcher.close();
  }
}
