import { X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { connect, createServer as createTlsServer } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { createLabCA } from './ca.ts';

async function handshake(serverCert: { certPem: string; keyPem: string }, ca: string[], servername = 'api.multiclaw.test') {
  const server = createTlsServer({ cert: serverCert.certPem, key: serverCert.keyPem }, (s) => s.end());
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  try {
    return await new Promise<{ ok: true } | { ok: false; code: string }>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port, servername, ca });
      socket.once('secureConnect', () => {
        socket.end();
        resolve({ ok: true });
      });
      socket.once('error', (err: NodeJS.ErrnoException) => resolve({ ok: false, code: err.code ?? err.message }));
    });
  } finally {
    server.close();
  }
}

describe('lab CA', () => {
  it('issues leaves with the requested names that verify against the CA', async () => {
    const ca = await createLabCA();
    const leaf = await ca.issue(['api.multiclaw.test', 'localhost', '127.0.0.1']);
    const cert = new X509Certificate(leaf.certPem);
    expect(cert.subjectAltName).toContain('DNS:api.multiclaw.test');
    expect(cert.subjectAltName).toContain('IP Address:127.0.0.1');
    expect(cert.verify(new X509Certificate(ca.certPem).publicKey)).toBe(true);
    expect(new X509Certificate(ca.certPem).ca).toBe(true);
    expect(await handshake(leaf, [ca.certPem])).toEqual({ ok: true });
  });

  it('is not trusted by a client that does not have the CA', async () => {
    const ca = await createLabCA();
    const other = await createLabCA({ name: 'Some Other CA' });
    const leaf = await ca.issue(['api.multiclaw.test']);
    const result = await handshake(leaf, [other.certPem]);
    expect(result).toMatchObject({ ok: false });
    expect(['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY']).toContain((result as { code: string }).code);
  });

  it('refuses a name the leaf was not issued for, and can make expired leaves', async () => {
    const ca = await createLabCA();
    const leaf = await ca.issue(['cdn.multiclaw.test']);
    expect(await handshake(leaf, [ca.certPem], 'api.multiclaw.test')).toEqual({
      ok: false,
      code: 'ERR_TLS_CERT_ALTNAME_INVALID',
    });
    const expired = await ca.issue(['api.multiclaw.test'], { validDays: -1, notBefore: new Date(Date.now() - 10 * 86_400_000) });
    expect(await handshake(expired, [ca.certPem])).toEqual({ ok: false, code: 'CERT_HAS_EXPIRED' });
  });
});
