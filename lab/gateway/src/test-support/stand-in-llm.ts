import { once } from 'node:events';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createLabCA } from '@multiclaw-lab/pki';

/**
 * A tiny OpenAI-style HTTPS provider for unit tests: records the bearer of every call and
 * answers with a fixed reply, or with an error body that echoes the key (as some providers do).
 */
export interface StandInLlm extends AsyncDisposable {
  baseUrl: string;
  ca: string;
  bearers: string[];
  refuse: boolean;
  close(): Promise<void>;
}

export async function startStandInLlm(reply = 'hello from the stand-in model'): Promise<StandInLlm> {
  const ca = await createLabCA({ name: 'llm stand-in CA' });
  const leaf = await ca.issue(['127.0.0.1']);
  const state = { bearers: [] as string[], refuse: false };
  const server = createServer({ cert: leaf.certPem, key: leaf.keyPem }, async (req, res) => {
    for await (const _ of req) {
      // drain the body
    }
    const bearer = (req.headers.authorization ?? '').replace(/^Bearer /, '');
    state.bearers.push(bearer);
    res.setHeader('content-type', 'application/json');
    if (state.refuse || req.url !== '/v1/chat/completions') {
      res.statusCode = 401;
      res.end(
        JSON.stringify({
          error: { message: `Incorrect API key provided: ${bearer}`, type: 'invalid_request_error', code: 'invalid_api_key' },
        }),
      );
      return;
    }
    res.end(
      JSON.stringify({
        id: 'chatcmpl-1',
        object: 'chat.completion',
        created: 1,
        model: 'lab-model',
        choices: [{ index: 0, message: { role: 'assistant', content: reply }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
      }),
    );
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const close = async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  };
  return Object.assign(state, {
    baseUrl: `https://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    ca: ca.certPem,
    close,
    [Symbol.asyncDispose]: close,
  });
}
