/** The lab LLM provider speaks a subset of the OpenAI chat completions API. */
import { z } from 'zod';

export const ChatMessage = z.object({ role: z.enum(['system', 'user', 'assistant']), content: z.string().max(100_000) });
/** POST /v1/chat/completions with `Authorization: Bearer <api key>` */
export const ChatCompletionRequest = z.object({
  model: z.string().min(1).max(100),
  messages: z.array(ChatMessage).min(1).max(1000),
});
export const ChatCompletionResponse = z.object({
  id: z.string(),
  object: z.literal('chat.completion'),
  created: z.number().int(),
  model: z.string(),
  choices: z.array(z.object({ index: z.number().int(), message: ChatMessage, finish_reason: z.enum(['stop', 'length']) })),
  usage: z.object({ prompt_tokens: z.number().int(), completion_tokens: z.number().int(), total_tokens: z.number().int() }),
});
export type ChatCompletionResponse = z.infer<typeof ChatCompletionResponse>;
/** OpenAI-style error body (the provider's, not MultiClaw's). */
export const ProviderErrorBody = z.object({
  error: z.object({ message: z.string(), type: z.string(), code: z.string().nullable() }),
});

/**
 * Admin API of the lab LLM provider, served on a unix socket (out of band: the simulated
 * network cannot reach it). Keys are registered by value and known afterwards only by
 * fingerprint: the first 16 hex digits of SHA-256 of the key.
 * POST /admin/keys {apiKey} → {fingerprint};  DELETE /admin/keys/:fingerprint → 204 (revoked)
 * GET /admin/calls → {calls}
 */
export const RegisterKeyRequest = z.object({ apiKey: z.string().min(8).max(512) });
export const RegisterKeyResponse = z.object({ fingerprint: z.string() });
export const ProviderCall = z.object({
  at: z.iso.datetime(),
  fingerprint: z.string().nullable(),
  model: z.string().nullable(),
  status: z.number().int(),
});
export const ProviderCallsResponse = z.object({ calls: z.array(ProviderCall) });
