import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cleanChildEnv, startProcess } from '@multiclaw-lab/kit';
import { writeServerCertificate } from '@multiclaw-lab/pki';
import { generateMinisignKeyPair, minisignSecretKeyText } from '@multiclaw-lab/protocol';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CdnAdminClient } from './cdn/admin-client.ts';
import { LlmAdminClient } from './llm/admin-client.ts';
import { type TestTls, tempDir, testTls } from './test-support.ts';

// The process entries, as the lab harness runs them: configured by environment, ready line, SIGTERM.
let dir: Awaited<ReturnType<typeof tempDir>>;
let tls: TestTls;
let files: { certFile: string; keyFile: string };

beforeAll(async () => {
  dir = await tempDir('external-main-');
  tls = await testTls();
  files = await writeServerCertificate(dir.path, 'server', await tls.ca.issue(['localhost', '127.0.0.1']));
});

afterAll(async () => {
  await tls?.agent.close();
  await dir?.remove();
});

function node(script: string, env: Record<string, string>) {
  return startProcess({
    name: script,
    command: process.execPath,
    args: [join(import.meta.dirname, script)],
    env: cleanChildEnv(env),
  });
}

describe('main-llm.ts', () => {
  it('starts from env, serves, and exits 0 on SIGTERM', async () => {
    const socket = join(dir.path, 'llm.sock');
    await using child = await node('main-llm.ts', {
      LLM_TLS_CERT_FILE: files.certFile,
      LLM_TLS_KEY_FILE: files.keyFile,
      LLM_PORT: '0',
      LLM_ADMIN_SOCKET: socket,
    });
    expect(child.ready).toMatchObject({ service: 'llm-provider', adminSocketPath: socket });
    await using admin = new LlmAdminClient(socket);
    const key = 'lab-main-test-key-0001';
    await admin.registerKey(key);

    const response = await request(`${child.ready.baseUrl}/chat/completions`, {
      method: 'POST',
      dispatcher: tls.agent,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(response.statusCode).toBe(200);
    await response.body.dump();

    child.signal('SIGTERM');
    expect(await child.waitForExit()).toEqual({ code: 0, signal: null });
    expect(child.lines.map((l) => l.text).join('\n')).not.toContain(key);
  });

  it('exits 1 with a line naming the missing variable', async () => {
    const child = await startProcess({
      name: 'main-llm.ts',
      command: process.execPath,
      args: [join(import.meta.dirname, 'main-llm.ts')],
      env: cleanChildEnv({ LLM_PORT: '0' }),
      waitForReady: false,
    });
    expect((await child.waitForExit()).code).toBe(1);
    expect(child.jsonLines().find((l) => l.event === 'start.failed')?.err).toMatchObject({
      message: expect.stringContaining('LLM_TLS_CERT_FILE'),
    });
  });
});

describe('main-cdn.ts', () => {
  it('starts with a signing key file, serves its public key, and exits 0 on SIGTERM', async () => {
    const { publicKeyText, secretKey } = generateMinisignKeyPair();
    const keyFile = join(dir.path, 'signing.key');
    await writeFile(keyFile, minisignSecretKeyText(secretKey), { mode: 0o600 });
    const socket = join(dir.path, 'cdn.sock');
    await using child = await node('main-cdn.ts', {
      CDN_TLS_CERT_FILE: files.certFile,
      CDN_TLS_KEY_FILE: files.keyFile,
      CDN_PORT: '0',
      CDN_ADMIN_SOCKET: socket,
      CDN_PUBLIC_URL: 'https://cdn.multiclaw.test',
      CDN_SIGNING_KEY_FILE: keyFile,
    });
    expect(child.ready).toMatchObject({ service: 'cdn', keyId: secretKey.keyId, publicBaseUrl: 'https://cdn.multiclaw.test' });
    await using admin = new CdnAdminClient(socket);
    expect(await admin.publicKey()).toBe(publicKeyText);

    child.signal('SIGTERM');
    expect(await child.waitForExit()).toEqual({ code: 0, signal: null });
  });
});
