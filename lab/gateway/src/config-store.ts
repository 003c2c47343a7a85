import { readFile } from 'node:fs/promises';
import { LabError } from '@multiclaw-lab/kit';
import { type GatewayMode, OpenclawConfig } from '@multiclaw-lab/protocol';
import { assertPrivate, ensurePrivateDir, writeFileAtomic } from './secure-fs.ts';

export type Workspace = NonNullable<OpenclawConfig['workspace']>;

/**
 * `~/.openclaw/openclaw.json`: read once at start, kept in memory, and rewritten atomically on
 * every change. Only this class writes it, and writes are serialised so two changes never race.
 */
export class ConfigStore {
  readonly path: string;
  #config: OpenclawConfig;
  #writes: Promise<void> = Promise.resolve();

  private constructor(path: string, config: OpenclawConfig) {
    this.path = path;
    this.#config = config;
  }

  /**
   * Opens the config at `path` (its folder `dir` is made 0700), creating it if missing. Refuses
   * a folder or file open to group/others, and a file that is not a valid openclaw.json.
   */
  static async open(dir: string, path: string, mode: GatewayMode): Promise<ConfigStore> {
    await ensurePrivateDir(dir);
    const exists = await assertPrivate(path, 'file');
    if (!exists) {
      const store = new ConfigStore(path, OpenclawConfig.parse({ version: 1, mode }));
      await store.#write();
      return store;
    }
    const text = await readFile(path, 'utf8');
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new LabError('GATEWAY_BAD_CONFIG', `refusing to start: ${path} is not valid JSON`, {
        hint: 'fix or remove the file; the gateway recreates an empty one',
      });
    }
    const parsed = OpenclawConfig.safeParse(json);
    if (!parsed.success) {
      const first = parsed.error.issues[0];
      throw new LabError(
        'GATEWAY_BAD_CONFIG',
        `refusing to start: ${path} is not a valid openclaw.json (${first?.path.join('.') || '(root)'}: ${first?.message})`,
        { hint: 'fix or remove the file; the gateway recreates an empty one' },
      );
    }
    const store = new ConfigStore(path, parsed.data);
    if (parsed.data.mode !== mode) await store.update((c) => ({ ...c, mode }));
    return store;
  }

  get(): OpenclawConfig {
    return this.#config;
  }

  /** Applies `change` and persists the result; resolves once it is on disk. */
  update(change: (current: OpenclawConfig) => OpenclawConfig): Promise<OpenclawConfig> {
    const run = this.#writes.then(async () => {
      this.#config = OpenclawConfig.parse(change(this.#config));
      await this.#write();
      return this.#config;
    });
    this.#writes = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  #write(): Promise<void> {
    return writeFileAtomic(this.path, `${JSON.stringify(this.#config, null, 2)}\n`);
  }
}
