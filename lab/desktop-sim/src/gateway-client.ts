import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  ConversationList,
  Conversation as ConversationSchema,
  GatewayStatus as GatewayStatusSchema,
  LOCAL_API_FILE,
  LocalApiFile,
  type StartTaskRequest,
  StartTaskResponse,
  TaskView,
} from '@multiclaw-lab/protocol';
import { Agent } from 'undici';
import type { z } from 'zod';
import { DesktopError } from './errors.ts';
import { requestJson } from './http.ts';

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * The local OpenClaw gateway's HTTP API on 127.0.0.1, authenticated with the session token the
 * gateway wrote to LOCAL_API_FILE under its HOME. Plain HTTP, and deliberately a plain undici
 * Agent: loopback traffic never goes through HTTP_PROXY. The file is read on every call, so a
 * restarted gateway (new port, new session token) is picked up without restarting the app.
 */
export class GatewayClient {
  readonly gatewayHome: string;
  readonly #dispatcher = new Agent();

  constructor(gatewayHome: string) {
    this.gatewayHome = gatewayHome;
  }

  async localApi(): Promise<LocalApiFile> {
    const file = join(this.gatewayHome, LOCAL_API_FILE);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      throw new DesktopError('gateway_not_running', `cannot read the gateway's ${file}`, {
        hint: 'start the local gateway (it writes this file when it is ready) or fix DESKTOP_GATEWAY_HOME',
        cause: err,
      });
    }
    let parsed: z.ZodSafeParseResult<LocalApiFile>;
    try {
      parsed = LocalApiFile.safeParse(JSON.parse(text));
    } catch (err) {
      throw new DesktopError('gateway_file_invalid', `${file} is not JSON`, { cause: err });
    }
    if (!parsed.success) throw new DesktopError('gateway_file_invalid', `${file} does not have the local API shape`);
    const url = new URL(parsed.data.url);
    // The session token must never leave the machine: refuse anything but plain HTTP on loopback.
    if (url.protocol !== 'http:' || !LOOPBACK_HOSTS.has(url.hostname)) {
      throw new DesktopError('gateway_not_local', `the gateway's local API must be http on 127.0.0.1, not ${url.origin}`);
    }
    return parsed.data;
  }

  async #call<S extends z.ZodType | undefined = undefined>(
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    path: string,
    options: { body?: unknown; schema?: S } = {},
  ) {
    const api = await this.localApi();
    return requestJson({
      method,
      url: new URL(path, api.url),
      dispatcher: this.#dispatcher,
      service: 'gateway',
      bearer: api.token,
      ...options,
    });
  }

  status() {
    return this.#call('GET', '/v1/status', { schema: GatewayStatusSchema });
  }

  linkWorkspace(body: { cloudUrl: string; workspaceId: string; instanceId: string; authToken: string }): Promise<undefined> {
    return this.#call('PUT', '/v1/workspace', { body });
  }

  unlinkWorkspace(): Promise<undefined> {
    return this.#call('DELETE', '/v1/workspace');
  }

  startTask(body: z.input<typeof StartTaskRequest>) {
    return this.#call('POST', '/v1/tasks', { body, schema: StartTaskResponse });
  }

  getTask(taskId: string) {
    return this.#call('GET', `/v1/tasks/${encodeURIComponent(taskId)}`, { schema: TaskView });
  }

  listConversations() {
    return this.#call('GET', '/v1/conversations', { schema: ConversationList });
  }

  getConversation(conversationId: string) {
    return this.#call('GET', `/v1/conversations/${encodeURIComponent(conversationId)}`, { schema: ConversationSchema });
  }

  async close(): Promise<void> {
    await this.#dispatcher.close();
  }
}
