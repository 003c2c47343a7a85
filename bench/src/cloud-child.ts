import { fileURLToPath } from 'node:url';
import { cleanChildEnv, type ProcessHandle, startProcess } from '@multiclaw-lab/kit';
import { openFilesLimit, procMemory } from './proc-status.ts';

export interface CloudMemory {
  /** VmRSS from /proc/<pid>/status, after a forced full GC in the cloud */
  rssBytes: number;
  peakRssBytes: number;
  /** V8 heap in use, after that GC */
  heapUsedBytes: number;
  /** memory of C++ objects bound to JS (Buffers, TLS contexts) */
  externalBytes: number;
}

export interface BenchCloud extends AsyncDisposable {
  url: string;
  port: number;
  pid: number;
  /** the cloud process's soft open-files limit, after the start script raised it */
  openFilesLimit: number | undefined;
  memory(): Promise<CloudMemory>;
  close(): Promise<void>;
}

export interface BenchCloudOptions {
  databaseUrl: string;
  certFile: string;
  keyFile: string;
  heartbeatIntervalMs: number;
  logLevel: string;
}

const ENTRY = fileURLToPath(new URL('./cloud-process.ts', import.meta.url));

/**
 * Starts cloud-process.ts as a child. It goes through `sh` only to raise the child's soft
 * open-files limit to its hard limit (Node cannot change its own rlimits): every session is a
 * socket, and a default soft limit of 1024 would be the first thing the bench measured.
 */
export async function startBenchCloud(options: BenchCloudOptions): Promise<BenchCloud> {
  const child: ProcessHandle = await startProcess({
    name: 'bench-cloud',
    command: '/bin/sh',
    args: ['-c', 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$0" --expose-gc "$1"', process.execPath, ENTRY],
    env: cleanChildEnv({
      DATABASE_URL: options.databaseUrl,
      BENCH_TLS_CERT_FILE: options.certFile,
      BENCH_TLS_KEY_FILE: options.keyFile,
      BENCH_HEARTBEAT_INTERVAL_MS: String(options.heartbeatIntervalMs),
      LOG_LEVEL: options.logLevel,
    }),
  });
  // The log lines are kept by the handle; the bench needs none of them once ready, and a
  // few thousand sessions would otherwise grow this process for nothing.
  child.on('line', () => {
    if (child.lines.length > 1000) child.lines.splice(0, child.lines.length - 200);
  });
  let probe = 0;
  const memory = async (): Promise<CloudMemory> => {
    const id = ++probe;
    const answer = child.waitForLog({ event: 'bench.memory', id }, 30_000);
    child.child.stdin!.write(`${JSON.stringify({ cmd: 'memory', id })}\n`);
    const { json } = await answer;
    // Read /proc after the child's GC so both figures describe the same moment.
    const proc = await procMemory(child.pid);
    return {
      rssBytes: proc.rssBytes,
      peakRssBytes: proc.peakRssBytes,
      heapUsedBytes: Number(json!.heapUsed),
      externalBytes: Number(json!.external),
    };
  };
  const close = () => child.stop(10_000);
  return {
    url: String(child.ready.url),
    port: Number(child.ready.port),
    pid: child.pid,
    openFilesLimit: await openFilesLimit(child.pid),
    memory,
    close,
    [Symbol.asyncDispose]: close,
  };
}
