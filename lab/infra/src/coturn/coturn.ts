import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '@multiclaw-lab/kit';
import { type HostRunner, toolEnv } from '../runner.ts';
import { ServiceProcess, startService } from '../service.ts';
import { type TurnConfig, turnConfig, validateTurnConfig } from './config.ts';
import { type TurnEvent, TurnLogParser } from './events.ts';

export interface StartCoturnOptions extends TurnConfig {
  /** where turnserver.conf is written; default `<stateDir>/turnserver.conf` */
  configFile?: string;
  logger?: Logger;
  readyTimeoutMs?: number;
}

export class CoturnHandle extends ServiceProcess {
  readonly configFile: string;
  readonly config: ReturnType<typeof validateTurnConfig>;
  readonly events: TurnEvent[] = [];

  constructor(process: ServiceProcess['process'], configFile: string, config: ReturnType<typeof validateTurnConfig>) {
    super(process);
    this.configFile = configFile;
    this.config = config;
  }

  /** `turn:`/`turns:` URLs for a name or address that resolves to this relay */
  urls(host: string = this.config.listeningIp): string[] {
    const { listeningPort: p, tlsListeningPort: t } = this.config;
    return [
      `turn:${host}:${p}?transport=udp`,
      `turn:${host}:${p}?transport=tcp`,
      `turn:${host}:${t}?transport=tcp`,
      `turns:${host}:${t}`,
    ];
  }

  /** Resolves with the first event (seen or future) that matches. */
  waitForEvent<E extends TurnEvent['event']>(
    event: E,
    match: (e: Extract<TurnEvent, { event: E }>) => boolean = () => true,
    timeoutMs = 20_000,
  ): Promise<Extract<TurnEvent, { event: E }>> {
    const test = (e: TurnEvent): e is Extract<TurnEvent, { event: E }> =>
      e.event === event && match(e as Extract<TurnEvent, { event: E }>);
    const seen = this.events.find(test);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.process.off('line', onLine);
        reject(new Error(`coturn logged no ${event} event within ${timeoutMs} ms. Last output:\n${this.process.tail()}`));
      }, timeoutMs);
      const onLine = () => {
        const found = this.events.find(test);
        if (!found) return;
        clearTimeout(timer);
        this.process.off('line', onLine);
        resolve(found);
      };
      this.process.on('line', onLine);
    });
  }
}

/** Writes turnserver.conf and runs `turnserver -c FILE`; ready on "Total General servers". */
export async function startCoturn(runner: HostRunner, options: StartCoturnOptions): Promise<CoturnHandle> {
  const config = validateTurnConfig(options);
  await mkdir(options.stateDir, { recursive: true });
  const configFile = options.configFile ?? join(options.stateDir, 'turnserver.conf');
  await writeFile(configFile, turnConfig(options), { mode: 0o600 });
  const parser = new TurnLogParser();
  const proc = await startService({
    runner,
    name: 'coturn',
    command: 'turnserver',
    args: ['-c', configFile],
    env: toolEnv(),
    isReady: (line) => line.text.includes('Total General servers'),
    ...(options.readyTimeoutMs ? { readyTimeoutMs: options.readyTimeoutMs } : {}),
  });
  const handle = new CoturnHandle(proc, configFile, config);
  const onText = (text: string) => {
    const event = parser.parse(text);
    if (!event) return;
    handle.events.push(event);
    options.logger?.info({ ...event, service: 'coturn' }, event.event);
  };
  // Lines before ready were collected already; parse them, then follow new ones. The parser
  // runs before waitForEvent's listener because it is registered first.
  for (const line of proc.lines) onText(line.text);
  proc.prependListener('line', (line) => onText(line.text));
  options.logger?.info({ event: 'coturn.ready', pid: proc.pid, urls: handle.urls() }, 'coturn ready');
  return handle;
}
