import { randomUUID } from 'node:crypto';
import { type Clock, type Logger, nowIso, REDACTED, scrubSecrets } from '@multiclaw-lab/kit';
import { type OpenclawAgent, ProtocolError, type TaskState, type TaskView } from '@multiclaw-lab/protocol';
import type { Dispatcher } from 'undici';
import type { z } from 'zod';
import type { ConversationStore } from './conversations.ts';
import { newConversationId } from './conversations.ts';
import { chatCompletion, LlmCallError } from './llm-client.ts';
import type { Outbox } from './outbox.ts';
import type { Scheduler } from './scheduler.ts';

type TaskViewT = z.infer<typeof TaskView>;

export interface TaskRunnerOptions {
  outbox: Outbox;
  conversations: ConversationStore;
  /** the agent as configured right now (a sync may change it while a task runs) */
  agent: (agentId: string) => OpenclawAgent | undefined;
  /** the agent's key in plaintext, decrypted in memory for one call; throws LlmCallError if unusable */
  apiKey: (agent: OpenclawAgent) => string;
  dispatcher: Dispatcher;
  scheduler: Scheduler;
  clock: Clock;
  logger: Logger;
  llmTimeoutMs: number;
}

export interface StartTask {
  agentId: string;
  prompt: string;
  steps: number;
  stepMs: number;
  conversationId?: string | undefined;
}

const MAX_DETAIL = 2000;
const INTERRUPTED = 'the gateway stopped while the task was running';

/**
 * Runs tasks locally: they go on whether or not the cloud is reachable. Every state change is
 * appended to the outbox (durably) before it counts, and the outbox delivers it when it can.
 */
export class TaskRunner {
  readonly #o: TaskRunnerOptions;
  readonly #tasks = new Map<string, TaskViewT>();
  readonly #running = new Set<Promise<void>>();
  readonly #stop = new AbortController();

  constructor(options: TaskRunnerOptions) {
    this.#o = options;
  }

  get(taskId: string): TaskViewT | undefined {
    return this.#tasks.get(taskId);
  }

  running(): number {
    return this.#running.size;
  }

  /** Records the prompt and the `queued` status, then runs the task in the background. */
  async start(request: StartTask): Promise<{ taskId: string; conversationId: string }> {
    if (this.#stop.signal.aborted)
      throw new ProtocolError('conflict', 'the gateway is stopping; start the task after it restarts');
    const agent = this.#o.agent(request.agentId);
    if (!agent)
      throw new ProtocolError('not_found', `no agent ${request.agentId} on this gateway; GET /v1/status lists the agents`);
    let conversationId = request.conversationId;
    if (conversationId !== undefined) {
      const existing = await this.#o.conversations.get(conversationId);
      if (!existing) throw new ProtocolError('not_found', `no conversation ${conversationId}; omit conversationId to start one`);
      if (existing.agentId !== agent.id) {
        throw new ProtocolError('conflict', `conversation ${conversationId} belongs to agent ${existing.agentId}`);
      }
    } else {
      conversationId = newConversationId();
    }
    const taskId = randomUUID();
    const view: TaskViewT = { taskId, agentId: agent.id, conversationId, state: 'queued', statuses: [] };
    this.#tasks.set(taskId, view);
    await this.#o.conversations.append(conversationId, agent.id, { role: 'user', content: request.prompt });
    await this.#emit(view, 'queued', `task for agent ${agent.name}`);
    const run = this.#run(view, request)
      .catch((err: unknown) => this.#o.logger.error({ event: 'task.crashed', taskId, err }, 'could not record a task status'))
      .finally(() => this.#running.delete(run));
    this.#running.add(run);
    return { taskId, conversationId };
  }

  /** Stops every running task; each gets a final `interrupted` status before this resolves. */
  async close(): Promise<void> {
    this.#stop.abort();
    await Promise.all(this.#running);
  }

  async #run(view: TaskViewT, request: StartTask): Promise<void> {
    const { logger, scheduler } = this.#o;
    let key: string | undefined;
    try {
      await this.#emit(view, 'running', `${request.steps} steps`);
      for (let i = 1; i <= request.steps; i++) {
        await scheduler.delay(request.stepMs, this.#stop.signal);
        await this.#emit(view, 'step', `step ${i}/${request.steps}`);
      }
      const agent = this.#o.agent(view.agentId);
      if (!agent) throw new LlmCallError(`agent ${view.agentId} was removed from this gateway`);
      await this.#emit(view, 'llm', `calling ${agent.provider} model ${agent.model}`);
      key = this.#o.apiKey(agent);
      const conversation = await this.#o.conversations.get(view.conversationId);
      const messages = (conversation?.messages ?? []).map((m) => ({ role: m.role, content: m.content }));
      const completion = await chatCompletion({
        baseUrl: agent.baseUrl,
        apiKey: key,
        model: agent.model,
        messages,
        dispatcher: this.#o.dispatcher,
        timeoutMs: this.#o.llmTimeoutMs,
      });
      const reply = completion.choices[0]?.message.content ?? '';
      await this.#o.conversations.append(view.conversationId, view.agentId, {
        role: 'assistant',
        content: withoutKey(reply, key),
      });
      await this.#emit(view, 'completed', `reply of ${reply.length} characters`);
    } catch (err) {
      if (this.#stop.signal.aborted) {
        await this.#emit(view, 'interrupted', INTERRUPTED);
        return;
      }
      const reason = err instanceof LlmCallError ? err.message : 'internal error while running the task';
      if (!(err instanceof LlmCallError))
        logger.error({ event: 'task.crashed', taskId: view.taskId, err }, 'task failed unexpectedly');
      await this.#emit(view, 'failed', withoutKey(reason, key));
    }
  }

  async #emit(view: TaskViewT, state: TaskState, detail: string): Promise<void> {
    const status = {
      taskId: view.taskId,
      seq: view.statuses.length + 1,
      state,
      detail: detail.slice(0, MAX_DETAIL),
      at: nowIso(this.#o.clock),
    };
    await this.#o.outbox.append(status);
    view.statuses.push({ seq: status.seq, state, detail: status.detail, at: status.at });
    view.state = state;
    this.#o.logger.info({ event: 'task.status', taskId: view.taskId, seq: status.seq, state });
  }
}

/** Belt and braces: whatever a provider or an error says, the key itself never passes through. */
function withoutKey(text: string, key: string | undefined): string {
  const scrubbed = key ? text.replaceAll(key, REDACTED) : text;
  return scrubSecrets(scrubbed);
}
