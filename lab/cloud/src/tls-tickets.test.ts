/**
 * Cloud processes behind one balancer are one TLS endpoint to the apps: given the same ticket
 * keys, a session one of them issued resumes on another; without them it cannot.
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { connect } from 'node:tls';
import { createLabCA } from '@multiclaw-lab/pki';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCloud, type TestCloud } from './test-helpers.ts';

let ca: string;
let issuer: TestCloud;
let sharing: TestCloud;
let own: TestCloud;

beforeAll(async () => {
  const authority = await createLabCA();
  const leaf = await authority.issue(['localhost', '127.0.0.1']);
  ca = authority.certPem;
  const tls = { cert: leaf.certPem, key: leaf.keyPem };
  const ticketKeys = randomBytes(48);
  issuer = await startTestCloud({ nodeName: 'cloud-a', tls: { ...tls, ticketKeys } });
  const deployment = { databaseUrl: issuer.databaseUrl, secrets: issuer.secrets };
  sharing = await startTestCloud({ nodeName: 'cloud-b', ...deployment, tls: { ...tls, ticketKeys } });
  own = await startTestCloud({ nodeName: 'cloud-c', ...deployment, tls });
});
afterAll(async () => {
  for (const c of [own, sharing, issuer]) await c?.cloud.close();
});

const tlsOptions = (cloud: TestCloud) => ({ host: '127.0.0.1', port: cloud.cloud.port, servername: 'localhost', ca });

/** A session ticket from a full handshake with `cloud` (TLS 1.3 sends it after the handshake). */
async function ticketFrom(cloud: TestCloud): Promise<Buffer> {
  const socket = connect(tlsOptions(cloud));
  const [session] = (await once(socket, 'session')) as [Buffer];
  socket.destroy();
  return session;
}

/** Offers `session` to `cloud`: whether the handshake resumed it. */
async function resumes(cloud: TestCloud, session: Buffer): Promise<boolean> {
  const socket = connect({ ...tlsOptions(cloud), session });
  await once(socket, 'secureConnect');
  const resumed = socket.isSessionReused();
  socket.destroy();
  return resumed;
}

describe('TLS session tickets across cloud processes', () => {
  it('a ticket from one process resumes on another given the same ticket keys', async () => {
    expect(await resumes(sharing, await ticketFrom(issuer))).toBe(true);
  });

  it('a process with keys of its own makes a full handshake instead', async () => {
    const ticket = await ticketFrom(issuer);
    expect(await resumes(own, ticket)).toBe(false);
    // the same ticket was good: the issuer itself resumes it
    expect(await resumes(issuer, ticket)).toBe(true);
  });
});
