import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';

/** The started-service shape every lab service returns (testcontainers-style). */
export interface ServiceHandle extends AsyncDisposable {
  /** origin clients use, e.g. https://127.0.0.1:8443 */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

export function listeningPort(app: FastifyInstance): number {
  return (app.server.address() as AddressInfo).port;
}

/** A wildcard bind address is not something a client can dial; loopback is, on the same host. */
export function originFor(host: string, port: number): string {
  const dialable = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return `https://${dialable.includes(':') ? `[${dialable}]` : dialable}:${port}`;
}

/** Closes every server once, even if close() is called again or from dispose. */
export function closerFor(...apps: FastifyInstance[]): () => Promise<void> {
  let closing: Promise<void> | undefined;
  return () => {
    closing ??= Promise.all(apps.map((app) => app.close())).then(() => undefined);
    return closing;
  };
}
