import type { ChatCompletionRequest, ChatCompletionResponse } from '@multiclaw-lab/protocol';
import type { z } from 'zod';

type Request = z.infer<typeof ChatCompletionRequest>;

/** Up to 80 characters (code points, so no surrogate is cut in half) of the last user message. */
function lastUserExcerpt(request: Request): string {
  const last = request.messages.findLast((m) => m.role === 'user');
  return Array.from(last?.content ?? '')
    .slice(0, 80)
    .join('');
}

/** Whitespace-separated words: a stable stand-in for tokens, so usage numbers are reproducible. */
function wordCount(text: string): number {
  return text.split(/\s+/).filter(Boolean).length;
}

/**
 * The provider's answer is a pure function of the request (plus id and time), so scenarios can
 * assert on exactly what an agent received.
 */
export function completionFor(request: Request, id: string, createdSeconds: number): ChatCompletionResponse {
  const content = `lab-llm: ${request.model} received ${request.messages.length} messages; last: "${lastUserExcerpt(request)}"`;
  const promptTokens = request.messages.reduce((sum, m) => sum + wordCount(m.content), 0);
  const completionTokens = wordCount(content);
  return {
    id,
    object: 'chat.completion',
    created: createdSeconds,
    model: request.model,
    choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
    usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens },
  };
}
