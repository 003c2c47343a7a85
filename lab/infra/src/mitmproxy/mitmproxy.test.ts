import { createHash, X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { createServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type PeerCertificate, type TLSSocket, connect as tlsConnect } from 'node:tls';
import { createLabCA, type LabCA } from '@multiclaw-lab/pki';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../ports.ts';
import { localRunner } from '../runner.ts';
import { type MitmproxyHandle, startMitmproxy } from './mitmproxy.ts';

const INTERCEPTION_CODES = ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT'];
const BEARER = 'mcb_planted0bearer0for0mitm0test';
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** CONNECT through the proxy, then TLS with only the given CAs trusted. */
async function tlsThroughProxy(proxyPort: number, host: string, port: number, ca: string[]): Promise<TLSSocket> {
  const req = httpRequest({ host: '127.0.0.1', port: proxyPort, method: 'CONNECT', path: `${host}:${port}` });
  req.end();
  const [res, socket] = (await once(req, 'connect')) as [{ statusCode: number }, import('node:net').Socket];
  expect(res.statusCode).toBe(200);
  const tls = tlsConnect({ socket, ca, servername: host === '127.0.0.1' ? '' : host });
  await new Promise<void>((resolve, reject) => {
    tls.once('secureConnect', resolve);
    tls.once('error', reject);
  });
  return tls;
}

async function get(tls: TLSSocket, host: string, path: string, headers: Record<string, string> = {}): Promise<string> {
  const lines = [
    `GET ${path} HTTP/1.1`,
    `Host: ${host}`,
    'Connection: close',
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
  ];
  tls.write(`${lines.join('\r\n')}\r\n\r\n`);
  const chunks: Buffer[] = [];
  for await (const chunk of tls) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString();
}

describe('mitmproxy (regular mode) in front of an HTTPS server with a lab certificate', () => {
  let dir: string;
  let ca: LabCA;
  let server: Server;
  let serverPort: number;
  let mitm: MitmproxyHandle;
  let leafPem: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'infra-mitm-'));
    ca = await createLabCA();
    const leaf = await ca.issue(['localhost', '127.0.0.1']);
    leafPem = leaf.certPem;
    await writeFile(join(dir, 'lab-ca.pem'), ca.certPem);
    server = createServer({ cert: leaf.certPem, key: leaf.keyPem }, (req, res) => res.end(`real server saw ${req.url}`));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    serverPort = (server.address() as { port: number }).port;
    mitm = await startMitmproxy(localRunner, {
      mode: 'regular',
      listenHost: '127.0.0.1',
      listenPort: await freePort(),
      confDir: join(dir, 'mitm'),
      ignoreHosts: ['localhost'], // stands in for the MultiClaw names
      upstreamCaFile: join(dir, 'lab-ca.pem'),
    });
  });

  afterAll(async () => {
    await mitm?.stop();
    server?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('makes its own CA in the conf folder', async () => {
    expect(await readFile(mitm.caCertFile, 'utf8')).toContain('BEGIN CERTIFICATE');
  });

  it('a client that trusts only the lab CA refuses the re-signed certificate, and the addon sees the failure', async () => {
    const err = (await tlsThroughProxy(mitm.listen.port, '127.0.0.1', serverPort, [ca.certPem]).catch(
      (e: unknown) => e,
    )) as NodeJS.ErrnoException;
    expect(INTERCEPTION_CODES).toContain(err.code);
    const failure = await mitm.waitForEvent({ event: 'mitm.tls_failed', side: 'client' });
    expect(String(failure.error)).toMatch(/does not trust the proxy's certificate|unknown ca|certificate/i);
  });

  it('a client that also trusts the mitmproxy CA gets through; the addon sees the request and hashes the credential', async () => {
    const mitmCa = await readFile(mitm.caCertFile, 'utf8');
    const tls = await tlsThroughProxy(mitm.listen.port, '127.0.0.1', serverPort, [ca.certPem, mitmCa]);
    expect(tls.getPeerCertificate().issuer.CN).toMatch(/mitmproxy/);
    const response = await get(tls, '127.0.0.1', '/v1/me?x=1', { Authorization: `Bearer ${BEARER}` });
    expect(response).toContain('real server saw /v1/me?x=1');
    const seen = await mitm.waitForEvent({ event: 'mitm.request', path: '/v1/me' });
    expect(seen).toMatchObject({
      method: 'GET',
      hasAuthorization: true,
      hasQuery: true,
      authorizationSha256: sha256(`Bearer ${BEARER}`),
      credentialSha256: sha256(BEARER),
    });
    expect(seen.tokens).toContainEqual({ kind: 'multiclaw', sha256: sha256(BEARER) });
    // the plaintext credential is in no line mitmproxy printed
    expect(mitm.logs().join('\n')).not.toContain(BEARER);
  });

  it('passes an ignored name through untouched: the client sees the real certificate', async () => {
    const tls = await tlsThroughProxy(mitm.listen.port, 'localhost', serverPort, [ca.certPem]);
    const cert: PeerCertificate = tls.getPeerCertificate();
    expect(cert.fingerprint256).toBe(new X509Certificate(leafPem).fingerprint256);
    expect(cert.issuer.CN).not.toMatch(/mitmproxy/);
    expect(await get(tls, 'localhost', '/ignored')).toContain('real server saw /ignored');
    expect(mitm.events().some((e) => e.event === 'mitm.request' && e.path === '/ignored')).toBe(false);
  });
});
