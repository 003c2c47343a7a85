import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { connect, createServer } from 'node:tls';
import { expect, it } from 'vitest';
import { opensslHandshake, testTls } from '../test-support.ts';
import { serverTlsOptions } from './tls.ts';

async function handshakeWith(options: object, version: '-tls1_1' | '-tls1_2') {
  const { tls, agent } = await testTls();
  await agent.close();
  const server = createServer({ ...serverTlsOptions(tls), ...options }, (socket) => socket.end());
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  try {
    return await opensslHandshake((server.address() as AddressInfo).port, version);
  } finally {
    server.close();
  }
}

// The services' TLS tests rely on this probe; here it is shown able to see both answers.
it('the openssl probe sees a permissive server accept TLS 1.1 (control)', async () => {
  const result = await handshakeWith({ minVersion: 'TLSv1', ciphers: 'DEFAULT:@SECLEVEL=0' }, '-tls1_1');
  expect(result.ok).toBe(true);
  expect(result.output).toMatch(/Protocol\s*:\s*TLSv1\.1/);
});

it('serverTlsOptions refuses TLS 1.1 and accepts TLS 1.2', async () => {
  expect((await handshakeWith({}, '-tls1_1')).ok).toBe(false);
  expect((await handshakeWith({}, '-tls1_2')).ok).toBe(true);
});

it('serverTlsOptions offers only AEAD suites on TLS 1.2: a client that knows only CBC ones is refused', async () => {
  const { tls, agent } = await testTls();
  await agent.close();
  const server = createServer(serverTlsOptions(tls), (socket) => socket.end());
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const handshake = (ciphers: string) =>
    new Promise<string>((resolve) => {
      const socket = connect({ port, host: '127.0.0.1', maxVersion: 'TLSv1.2', ciphers, rejectUnauthorized: false }, () => {
        resolve(socket.getCipher().standardName);
        socket.destroy();
      });
      socket.once('error', (err) => resolve(`refused: ${err.message}`));
    });
  try {
    expect(await handshake('ECDHE-ECDSA-AES256-SHA384:ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA256')).toMatch(
      /^refused: .*handshake failure/,
    );
    expect(await handshake('ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256')).toMatch(/_GCM_/);
  } finally {
    server.close();
  }
});
