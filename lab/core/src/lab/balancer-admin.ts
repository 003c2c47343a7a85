import { createConnection } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { LabError } from '@multiclaw-lab/kit';

/** HAProxy's CSV statistics (`show stat` on its admin socket): one record per frontend, backend and server. */
export async function balancerStats(adminSocket: string): Promise<Record<string, string>[]> {
  const text = await new Promise<string>((resolve, reject) => {
    const socket = createConnection(adminSocket);
    let out = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      out += chunk;
    });
    socket.on('end', () => resolve(out));
    socket.on('error', reject);
    // without `prompt` mode HAProxy answers one command and closes
    socket.end('show stat\n');
  });
  const [header, ...rows] = text.split('\n').filter((l) => l.trim() !== '');
  if (!header?.startsWith('# '))
    throw new LabError('LAB_PROCESS_EXITED', `HAProxy's admin socket answered no statistics: ${text.slice(0, 200)}`);
  const names = header.slice(2).split(',');
  return rows.map((row) => Object.fromEntries(row.split(',').map((v, i) => [names[i] ?? String(i), v])));
}

/** How HAProxy's health checks see one server of a backend right now: `UP`, `DOWN`, … */
export async function serverStatus(adminSocket: string, backend: string, server: string): Promise<string | undefined> {
  const row = (await balancerStats(adminSocket)).find((r) => r.pxname === backend && r.svname === server);
  return row?.status;
}

/**
 * Waits until HAProxy's health checks have put `server` in rotation (a restarted instance is
 * reachable through the load balancer only then). Polled: HAProxy announces a change of state,
 * but an instance restarted within one check interval never changes state at all.
 */
export async function untilInRotation(adminSocket: string, backend: string, server: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let status: string | undefined;
  while (Date.now() < deadline) {
    status = await serverStatus(adminSocket, backend, server).catch(() => undefined);
    if (status === 'UP') return;
    await sleep(100);
  }
  throw new LabError(
    'LAB_READY_TIMEOUT',
    `HAProxy did not put ${server} back in rotation within ${timeoutMs} ms (status ${status ?? 'unknown'})`,
    {
      hint: 'pnpm lab logs cloud-lb shows its health checks',
    },
  );
}
