/**
 * A load worker: the program the coordinator starts inside a site host (through the lab's
 * driver), so its traffic leaves through the site's router and link like the apps' traffic.
 * It speaks JSON lines: on stdin `{"cmd":"start","mode":…}` (sessions to hold, sign-ins to make,
 * or gateways streaming task statuses, and for how long at most), `{"cmd":"mark","name":"heal"}`,
 * `{"cmd":"drain"}` (gateways: end the tasks, deliver what is queued), `{"cmd":"stop"}`; on stdout
 * `ready`, `load.progress` twice a second, `load.marked`, `load.drained` with every task's ledger,
 * and at the end `load.done` with its metrics, encoded to merge.
 * turn: coturn's load client on both legs, relayed sessions to an echoing peer (worker/turn.ts).
 * It stops by itself when its time is up, when told to, or when stdin ends (its coordinator went).
 */
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { Metrics } from '../metrics.ts';
import { GatewayPool, type TasksConfig } from './gateways.ts';
import { SessionPool, type SessionsConfig } from './sessions.ts';
import { type SigninConfig, SigninLoad } from './signin.ts';
import { type TurnConfig, TurnLoad } from './turn.ts';

type Command =
  | { cmd: 'start'; mode: 'sessions'; config: Omit<SessionsConfig, 'ca'>; maxMs: number }
  | { cmd: 'start'; mode: 'signin'; config: Omit<SigninConfig, 'ca'>; maxMs: number }
  | { cmd: 'start'; mode: 'tasks'; config: Omit<TasksConfig, 'ca'>; maxMs: number }
  | { cmd: 'start'; mode: 'turn'; config: Omit<TurnConfig, 'caFile'>; maxMs: number }
  | { cmd: 'mark'; name: string }
  | { cmd: 'drain'; timeoutMs: number }
  | { cmd: 'stop' };

const PROGRESS_EVERY_MS = 500;

function say(line: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify({ ...line, at: Date.now() })}\n`);
}

const metrics = new Metrics();
/** sessions or gateways: whatever holds connections reports them */
let pool: SessionPool | GatewayPool | undefined;
let signin: SigninLoad | undefined;
let turn: TurnLoad | undefined;
let ending: Promise<void> | undefined;
let progress: NodeJS.Timeout | undefined;
let deadline: NodeJS.Timeout | undefined;

function report(): void {
  if (turn) say({ event: 'load.progress', ...turn.progress() });
  if (!pool) return;
  say({ event: 'load.progress', opened: pool.opened, connected: pool.connected, failed: pool.failed, back: pool.backSinceMark });
}

function end(why: string): Promise<void> {
  ending ??= (async () => {
    clearInterval(progress);
    clearTimeout(deadline);
    report();
    await pool?.stopAll();
    await signin?.stop();
    await turn?.stop();
    say({ event: 'load.done', why, metrics: metrics.encode() });
    process.exit(0);
  })();
  return ending;
}

function start(command: Extract<Command, { cmd: 'start' }>): void {
  // the host's own trust (the bundle its apps use), as an app on it would have
  const caFile = process.env.SSL_CERT_FILE;
  if (!caFile) throw new Error('SSL_CERT_FILE names no trust bundle for the cloud');
  const ca = readFileSync(caFile, 'utf8');
  deadline = setTimeout(() => void end('time'), command.maxMs);
  if (command.mode === 'signin') {
    signin = new SigninLoad({ ...command.config, ca }, metrics);
    signin.start();
    return;
  }
  if (command.mode === 'turn') {
    const relayed = new TurnLoad({ ...command.config, caFile }, metrics);
    turn = relayed;
    progress = setInterval(report, PROGRESS_EVERY_MS);
    // both legs ended by themselves: every session was tried (load.opened, as for sessions)
    void relayed.run().then(() => {
      report();
      say({ event: 'load.opened', legs: relayed.legs() });
    });
    return;
  }
  const sessions =
    command.mode === 'tasks'
      ? new GatewayPool({ ...command.config, ca }, metrics)
      : new SessionPool({ ...command.config, ca }, metrics);
  pool = sessions;
  progress = setInterval(report, PROGRESS_EVERY_MS);
  // the progress line first: whoever waits for load.opened reads counts from then, not from before
  void sessions.openAll().then(() => {
    report();
    say({ event: 'load.opened', opened: sessions.opened, failed: sessions.failed });
  });
}

const lines = createInterface({ input: process.stdin });
lines.on('line', (text) => {
  let command: Command;
  try {
    command = JSON.parse(text) as Command;
  } catch {
    say({ event: 'load.bad_command', text: text.slice(0, 200) });
    return;
  }
  if (command.cmd === 'start' && !pool && !signin && !turn) start(command);
  else if (command.cmd === 'mark' && /^[a-z][a-z0-9_]*$/.test(command.name)) {
    pool?.mark(command.name);
    signin?.mark(command.name);
    say({ event: 'load.marked', name: command.name });
  } else if (command.cmd === 'drain' && pool instanceof GatewayPool) {
    void pool.drain(command.timeoutMs).then((ledger) => say({ event: 'load.drained', ledger }));
  } else if (command.cmd === 'stop') void end('told');
});
lines.on('close', () => void end('stdin closed'));
say({ event: 'ready' });
