import { chmod, mkdir, readFile, stat } from 'node:fs/promises';
import { LabError } from '@multiclaw-lab/kit';
import { type GatewayMode, OpenclawConfig } from '@multiclaw-lab/protocol';
import { mutant } from './mutant.ts';
import { assertPrivate, ensurePrivateDir, PRIVATE_FILE_MODE, writeFileAtomic } from './secure-fs.ts';
import { decryptTokenAtRest, encryptTokenAtRest } from './token-at-rest-defect.ts';

export type Workspace = NonNullable<OpenclawConfig['workspace']>;

/**
 * `~/.openclaw/openclaw.json`: read once at start, kept in memory, and rewritten atomically on
 * every change. Only this class writes it, and writes are serialised so two changes never race.
 */
export class ConfigStore {
  readonly path: string;
  #config: OpenclawConfig;
  #writes: Promise<void> = Promise.resolve();
  /** set only by the mutant 'gateway-session-token-on-disk': written into the file with the config */
  sessionToken: string | undefined;

  private constructor(path: string, config: OpenclawConfig) {
    this.path = path;
    this.#config = config;
  }

  /**
   * Opens the config at `path` (its folder `dir` is made 0700), creating it if missing. Refuses
   * a folder or file open to group/others, and a file that is not a valid openclaw.json.
   */
  static async open(dir: string, path: string, mode: GatewayMode): Promise<ConfigStore> {
    if (mutant('openclaw-dir-world-readable')) await mkdir(dir, { recursive: true }).then(() => chmod(dir, 0o755));
    else await ensurePrivateDir(dir);
    const exists = mutant('config-world-readable')
      ? await stat(path).then(
          () => true,
          () => false,
        )
      : await assertPrivate(path, 'file');
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
    const parsed = OpenclawConfig.safeParse(mutant('workspace-token-encoded-at-rest') ? decryptTokenAtRest(json) : json);
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
    const config = this.sessionToken ? { ...this.#config, sessionToken: this.sessionToken } : this.#config;
    const mode = mutant('config-world-readable') ? 0o644 : PRIVATE_FILE_MODE;
    const onDisk = mutant('workspace-token-encoded-at-rest') ? encryptTokenAtRest(config) : config;
    return writeFileAtomic(this.path, `${JSON.stringify(onDisk, null, 2)}\n`, mode);
  }
}
