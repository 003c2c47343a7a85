import {
  type ChatCompletionResponse as ChatCompletion,
  ChatCompletionResponse,
  ProviderErrorBody,
} from '@multiclaw-lab/protocol';
import { type Dispatcher, fetch } from 'undici';

export interface ChatCall {
  baseUrl: string;
  apiKey: string;
  model: string;
  messages: { role: 'system' | 'user' | 'assistant'; content: string }[];
  dispatcher: Dispatcher;
  timeoutMs: number;
}

/** A provider call that failed; `message` is safe to show, log and sync (never holds the key). */
export class LlmCallError extends Error {
  override readonly name = 'LlmCallError';
  readonly status: number | undefined;
  constructor(message: string, status?: number) {
    super(message);
    this.status = status;
  }
}

/** One OpenAI-style chat completion: `POST {baseUrl}/chat/completions` with the key as bearer. */
export async function chatCompletion(call: ChatCall): Promise<ChatCompletion> {
  const url = `${call.baseUrl.replace(/\/+$/, '')}/chat/completions`;
  if (!url.startsWith('https://')) throw new LlmCallError('the agent baseUrl is not https://; keys only travel over TLS');
  let response: Awaited<ReturnType<typeof fetch>>;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${call.apiKey}` },
      body: JSON.stringify({ model: call.model, messages: call.messages }),
      dispatcher: call.dispatcher,
      signal: AbortSignal.timeout(call.timeoutMs),
    });
  } catch (err) {
    throw new LlmCallError(`LLM provider unreachable at ${new URL(url).host}: ${describeNetworkError(err)}`);
  }
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (!response.ok) {
    // Only the provider's error type and code are kept: some providers echo part of the key
    // in their message text, and this reason ends up in task statuses.
    const body = ProviderErrorBody.safeParse(json);
    const what = body.success ? ` (${[body.data.error.type, body.data.error.code].filter(Boolean).join(', ')})` : '';
    throw new LlmCallError(`LLM provider refused the call: HTTP ${response.status}${what}`, response.status);
  }
  const parsed = ChatCompletionResponse.safeParse(json);
  if (!parsed.success) throw new LlmCallError('LLM provider sent an answer that is not a chat completion', response.status);
  return parsed.data;
}

function describeNetworkError(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  if (cause?.code) return cause.code;
  if ((err as Error).name === 'TimeoutError') return 'timed out';
  return (err as Error).message ?? 'unknown error';
}
