/**
 * The plumbing of a build step: a temp folder that is gone afterwards whatever happens (Ctrl-C
 * included), a command whose output lines become progress, and a heartbeat for the silent parts.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type Progress = (line: string) => void;

/** Prints `<what>: still working (N s)` every 10 s until stopped, so a long quiet step does not look hung. */
export function heartbeat(onProgress: Progress, what: string, everyMs = 10_000): () => void {
  const started = Date.now();
  const timer = setInterval(() => onProgress(`${what}: still working (${Math.round((Date.now() - started) / 1000)} s)`), everyMs);
  return () => clearInterval(timer);
}

/** Mount points at or below `dir` (a build step that died may leave its chroot's /proc mounted). */
async function mountsUnder(dir: string): Promise<string[]> {
  const table = await readFile('/proc/self/mountinfo', 'utf8').catch(() => '');
  return table
    .split('\n')
    .map((line) => line.split(' ')[4] ?? '')
    .filter((mountPoint) => mountPoint === dir || mountPoint.startsWith(`${dir}/`));
}

/**
 * Runs `fn` with a fresh temp folder and a signal that fires on SIGINT/SIGTERM (so a step can
 * stop its child and the folder is still removed), then removes the folder. A folder with a
 * mount left inside is not removed (that would reach into the mounted file system); the error says so.
 */
export async function withTempDir<T>(name: string, fn: (dir: string, signal: AbortSignal) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), `multiclaw-lab-${name}-`));
  const abort = new AbortController();
  const onSignal = () => abort.abort(new Error('interrupted'));
  process.once('SIGINT', onSignal).once('SIGTERM', onSignal);
  const outcome = await fn(dir, abort.signal).then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
  const mounts = await mountsUnder(dir);
  if (mounts.length === 0) await rm(dir, { recursive: true, force: true });
  if (!outcome.ok) throw outcome.error;
  abort.signal.throwIfAborted(); // a step that could not be stopped finished, but the user asked to stop
  if (mounts.length > 0) throw new Error(`left ${dir} in place: ${mounts.join(', ')} still mounted (umount, then remove it)`);
  return outcome.value;
}

/** The last lines of a command's output, for its error message. */
const TAIL_LINES = 25;

/**
 * Runs a command, handing each output line (stdout and stderr) to `onLine`; resolves on exit 0,
 * rejects with the exit status and the last lines otherwise.
 */
export function runWithLines(
  command: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; signal: AbortSignal; onLine: (line: string) => void },
): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: options.env ?? process.env,
      signal: options.signal,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const tail: string[] = [];
    const take = (stream: NodeJS.ReadableStream) => {
      let partial = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        const lines = (partial + chunk).split('\n');
        partial = lines.pop()!;
        for (const line of lines) {
          tail.push(line);
          if (tail.length > TAIL_LINES) tail.shift();
          options.onLine(line);
        }
      });
    };
    take(child.stdout);
    take(child.stderr);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`${command} exited (code ${code}, signal ${signal}); last output:\n${tail.join('\n')}`));
    });
  });
}
