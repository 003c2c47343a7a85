import { randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Clock, nowIso } from '@multiclaw-lab/kit';
import { Conversation, ProtocolError, type TranscriptMessage } from '@multiclaw-lab/protocol';
import { ensurePrivateDir, writeFileAtomic } from './secure-fs.ts';

/** Conversation ids become file names, so only a safe alphabet is accepted. */
const SAFE_ID = /^[A-Za-z0-9_-]{1,64}$/;

export function newConversationId(): string {
  return randomUUID();
}

/**
 * `~/.openclaw/conversations/<id>.json`, plain JSON as the docs say, user-only like the rest of
 * ~/.openclaw. Every change bumps `revision`; the cloud keeps the highest revision it is sent.
 */
export class ConversationStore {
  readonly #dir: string;
  readonly #clock: Clock;
  readonly #listeners = new Set<(c: Conversation) => void>();
  #writes: Promise<unknown> = Promise.resolve();

  private constructor(dir: string, clock: Clock) {
    this.#dir = dir;
    this.#clock = clock;
  }

  static async open(dir: string, clock: Clock): Promise<ConversationStore> {
    await ensurePrivateDir(dir);
    return new ConversationStore(dir, clock);
  }

  /** Called after every change is on disk (for transcript sync). */
  onChange(listener: (c: Conversation) => void): void {
    this.#listeners.add(listener);
  }

  #file(id: string): string {
    if (!SAFE_ID.test(id))
      throw new ProtocolError('bad_request', `conversation id ${JSON.stringify(id)} is not [A-Za-z0-9_-]{1,64}`);
    return join(this.#dir, `${id}.json`);
  }

  async get(id: string): Promise<Conversation | undefined> {
    try {
      return Conversation.parse(JSON.parse(await readFile(this.#file(id), 'utf8')));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async list(): Promise<Conversation[]> {
    const names = (await readdir(this.#dir)).filter((n) => n.endsWith('.json') && !n.startsWith('.'));
    const all = await Promise.all(names.map((n) => this.get(n.slice(0, -'.json'.length)).catch(() => undefined)));
    return all.filter((c): c is Conversation => c !== undefined);
  }

  /** Appends one message (creating the conversation if needed); revision + 1. */
  append(id: string, agentId: string, message: Omit<TranscriptMessage, 'at'>): Promise<Conversation> {
    const run = this.#writes.then(async () => {
      const at = nowIso(this.#clock);
      const current = (await this.get(id)) ?? { id, agentId, revision: 0, updatedAt: at, messages: [] };
      const next: Conversation = {
        ...current,
        revision: current.revision + 1,
        updatedAt: at,
        messages: [...current.messages, { ...message, at }],
      };
      await writeFileAtomic(this.#file(id), `${JSON.stringify(next, null, 2)}\n`);
      for (const listener of this.#listeners) listener(next);
      return next;
    });
    this.#writes = run.catch(() => undefined);
    return run;
  }
}
