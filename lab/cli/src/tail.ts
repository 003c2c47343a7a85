import { open, stat, watch } from 'node:fs/promises';

/** The last `n` lines of a file (reads at most the last `maxBytes`, so huge logs stay cheap). */
export async function readLastLines(
  path: string,
  n: number,
  maxBytes = 4 * 1024 * 1024,
): Promise<{ lines: string[]; end: number }> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    const start = Math.max(0, size - maxBytes);
    const buffer = Buffer.alloc(size - start);
    await handle.read(buffer, 0, buffer.length, start);
    const all = buffer.toString('utf8').split('\n');
    if (all.at(-1) === '') all.pop();
    if (start > 0) all.shift(); // the first line was cut in the middle
    return { lines: n === 0 ? [] : all.slice(-n), end: size };
  } finally {
    await handle.close();
  }
}

/**
 * Calls `onLine` for every complete line appended to `path` after byte `from`, until `signal`
 * aborts. Driven by file-change events (inotify), not by polling; a truncated file is read
 * again from its start.
 */
export async function followLines(
  path: string,
  from: number,
  onLine: (line: string) => void,
  signal: AbortSignal,
): Promise<void> {
  let position = from;
  let partial = '';
  const drain = async () => {
    const { size } = await stat(path);
    if (size < position) position = 0;
    if (size === position) return;
    const handle = await open(path, 'r');
    try {
      const buffer = Buffer.alloc(size - position);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
      position += bytesRead;
      const text = partial + buffer.subarray(0, bytesRead).toString('utf8');
      const lines = text.split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) onLine(line);
    } finally {
      await handle.close();
    }
  };
  try {
    // next() starts the watcher at once; only then read what was written before it started,
    // so no append falls between the two
    const changes = watch(path, { signal })[Symbol.asyncIterator]();
    // an abort rejects the pending next() while drain() may still run: mark it handled now,
    // the await below still sees the rejection
    const nextChange = () => {
      const next = changes.next();
      next.catch(() => undefined);
      return next;
    };
    let next = nextChange();
    await drain();
    while (!signal.aborted && !(await next).done) {
      next = nextChange();
      await drain();
    }
  } catch (err) {
    if ((err as Error).name !== 'AbortError') throw err;
  }
}
