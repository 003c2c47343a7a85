import { randomBytes } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ManualClock } from '@multiclaw-lab/kit';
import { ChatCompletionResponse, keyFingerprint, ProviderErrorBody } from '@multiclaw-lab/protocol';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { capturingLogger, opensslHandshake, type TestTls, tempDir, testTls } from '../test-support.ts';
import { LlmAdminClient } from './admin-client.ts';
import { type LlmProviderHandle, startLlmProvider } from './provider.ts';

// A planted key with no shape the log scrubber knows, so only our own care keeps it out of logs.
const plantedKey = `lab-canary-${randomBytes(12).toString('hex')}`;
const clock = new ManualClock(new Date('2026-04-01T12:00:00Z'));
const captured = capturingLogger('llm-provider');
let dir: Awaited<ReturnType<typeof tempDir>>;
let tls: TestTls;
let provider: LlmProviderHandle;
let admin: LlmAdminClient;

beforeAll(async () => {
  dir = await tempDir('llm-provider-');
  tls = await testTls();
  provider = await startLlmProvider({
    tls: tls.tls,
    adminSocketPath: join(dir.path, 'admin.sock'),
    clock,
    logger: captured.logger,
  });
  admin = new LlmAdminClient(provider.adminSocketPath);
});

afterAll(async () => {
  await admin?.close();
  await provider?.close();
  await tls?.agent.close();
  await dir?.remove();
});

function chat(body: unknown, apiKey?: string, headers: Record<string, string> = {}) {
  return request(`${provider.baseUrl}/chat/completions`, {
    method: 'POST',
    dispatcher: tls.agent,
    headers: {
      'content-type': 'application/json',
      ...(apiKey === undefined ? {} : { authorization: `Bearer ${apiKey}` }),
      ...headers,
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

const hello = {
  model: 'lab-model-1',
  messages: [
    { role: 'system', content: 'be brief' },
    { role: 'user', content: 'hello there' },
  ],
};

describe('a registered key', () => {
  it('gets a deterministic completion, and the call log names its fingerprint, never the key', async () => {
    const fingerprint = await admin.registerKey(plantedKey);
    expect(fingerprint).toBe(keyFingerprint(plantedKey));
    expect(fingerprint).toMatch(/^[0-9a-f]{16}$/);

    const response = await chat(hello, plantedKey);
    expect(response.statusCode).toBe(200);
    const completion = ChatCompletionResponse.parse(await response.body.json());
    expect(completion.choices[0]!.message).toEqual({
      role: 'assistant',
      content: 'lab-llm: lab-model-1 received 2 messages; last: "hello there"',
    });
    expect(completion.created).toBe(Math.floor(clock.now() / 1000));

    const calls = await admin.calls();
    expect(calls.at(-1)).toEqual({ at: '2026-04-01T12:00:00.000Z', fingerprint, model: 'lab-model-1', status: 200 });
    expect(JSON.stringify(calls)).not.toContain(plantedKey);
    expect(JSON.stringify(await admin.listKeys())).not.toContain(plantedKey);
  });

  it('quotes only the first 80 characters of the last user message', async () => {
    const long = `${'x'.repeat(79)}yz`;
    const response = await chat({ model: 'm', messages: [{ role: 'user', content: long }] }, plantedKey);
    const completion = ChatCompletionResponse.parse(await response.body.json());
    expect(completion.choices[0]!.message.content).toBe(`lab-llm: m received 1 messages; last: "${'x'.repeat(79)}y"`);
  });
});

describe('refused keys', () => {
  async function expectUnauthorized(response: Awaited<ReturnType<typeof chat>>, key: string | undefined) {
    expect(response.statusCode).toBe(401);
    const text = await response.body.text();
    const body = ProviderErrorBody.parse(JSON.parse(text));
    expect(body.error.code).toBe('invalid_api_key');
    if (key) expect(text).not.toContain(key);
    return body;
  }

  it('a revoked key → 401 that says so, and the call is logged with its fingerprint', async () => {
    const key = `lab-revoked-${randomBytes(8).toString('hex')}`;
    const fingerprint = await admin.registerKey(key);
    expect((await chat(hello, key)).statusCode).toBe(200);
    await admin.revokeKey(fingerprint);

    const body = await expectUnauthorized(await chat(hello, key), key);
    expect(body.error.message).toContain('revoked');
    expect((await admin.calls()).at(-1)).toMatchObject({ fingerprint, status: 401, model: null });
    expect((await admin.listKeys()).find((k) => k.fingerprint === fingerprint)?.revokedAt).toBe('2026-04-01T12:00:00.000Z');
  });

  it('an unknown key → 401', async () => {
    await expectUnauthorized(await chat(hello, 'lab-never-registered-key'), 'lab-never-registered-key');
  });

  it('no key, or not a Bearer header → 401', async () => {
    await expectUnauthorized(await chat(hello), undefined);
    await expectUnauthorized(await chat(hello, undefined, { authorization: `Basic ${plantedKey}` }), plantedKey);
  });

  it('auth comes before body validation: an unknown key with a bad body is still 401', async () => {
    await expectUnauthorized(await chat('{not json', 'lab-never-registered-key'), 'lab-never-registered-key');
  });
});

describe('malformed requests → 4xx, never a crash', () => {
  const cases: [string, unknown, Record<string, string>?][] = [
    ['invalid JSON', '{"model": '],
    ['empty body', ''],
    ['a JSON array', '[]'],
    ['wrong types', { model: 42, messages: 'hello' }],
    ['no messages', { model: 'm', messages: [] }],
    ['unknown role', { model: 'm', messages: [{ role: 'tool', content: 'x' }] }],
    ['not JSON at all', 'hello', { 'content-type': 'text/plain' }],
  ];
  it.each(cases)('%s → 4xx OpenAI-style error', async (_name, body, headers) => {
    const response = await chat(body, plantedKey, headers);
    expect(response.statusCode).toBeGreaterThanOrEqual(400);
    expect(response.statusCode).toBeLessThan(500);
    expect(ProviderErrorBody.safeParse(await response.body.json()).success).toBe(true);
  });

  it('validation errors name the field', async () => {
    const response = await chat({ model: 'm', messages: [{ role: 'user', content: 7 }] }, plantedKey);
    expect(response.statusCode).toBe(400);
    const body = ProviderErrorBody.parse(await response.body.json());
    expect(body.error.message).toContain('messages.0.content');
  });

  it('a body over the limit → 413', async () => {
    const huge = JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x'.repeat(9 * 1024 * 1024) }] });
    const response = await chat(huge, plantedKey);
    expect(response.statusCode).toBe(413);
    await response.body.dump();
  });

  it('an unknown route → 404', async () => {
    const response = await request(`${provider.url}/v1/embeddings`, { method: 'POST', dispatcher: tls.agent });
    expect(response.statusCode).toBe(404);
    expect(ProviderErrorBody.parse(await response.body.json()).error.code).toBe('not_found');
  });

  it('still serves after all of that', async () => {
    expect((await chat(hello, plantedKey)).statusCode).toBe(200);
  });
});

describe('admin API', () => {
  it('listens on a unix socket with mode 0600', async () => {
    const info = await stat(provider.adminSocketPath);
    expect(info.isSocket()).toBe(true);
    expect(info.mode & 0o777).toBe(0o600);
  });

  it('refuses a malformed fingerprint (400), an unknown one (404) and reviving a revoked key (409)', async () => {
    await expect(admin.revokeKey('not-a-fingerprint')).rejects.toMatchObject({ status: 400 });
    await expect(admin.revokeKey('0123456789abcdef')).rejects.toMatchObject({ status: 404 });
    const key = `lab-once-${randomBytes(8).toString('hex')}`;
    await admin.revokeKey(await admin.registerKey(key));
    await expect(admin.registerKey(key)).rejects.toMatchObject({ status: 409 });
  });

  it('refuses a too-short key (400)', async () => {
    await expect(admin.registerKey('short')).rejects.toMatchObject({ status: 400 });
  });
});

describe('TLS', () => {
  it('refuses TLS 1.1 and accepts TLS 1.2 and 1.3', async () => {
    const old = await opensslHandshake(provider.port, '-tls1_1');
    expect(old.ok).toBe(false);
    expect(old.output).toMatch(/alert protocol version|no protocols available|wrong version/i);
    expect((await opensslHandshake(provider.port, '-tls1_2')).output).toMatch(/Protocol\s*:\s*TLSv1\.2/);
    expect((await opensslHandshake(provider.port, '-tls1_3')).output).toMatch(/TLSv1\.3/);
  });
});

describe('logs', () => {
  it('record calls and key events by fingerprint and never contain a key', () => {
    const events = captured.events();
    expect(events.some((e) => e.event === 'ready')).toBe(true);
    expect(events.some((e) => e.event === 'llm.key.registered' && e.fingerprint === keyFingerprint(plantedKey))).toBe(true);
    expect(events.some((e) => e.event === 'llm.call' && e.fingerprint === keyFingerprint(plantedKey) && e.status === 200)).toBe(
      true,
    );
    const all = captured.lines.join('\n');
    expect(all).not.toContain(plantedKey);
    expect(all).not.toContain('lab-never-registered-key');
    expect(all).not.toMatch(/lab-(revoked|once)-[0-9a-f]{16}/);
  });
});
