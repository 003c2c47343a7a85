/**
 * Relayed sessions from one site host: coturn's own load client, `turnutils_uclient`, once per
 * leg (UDP to the relay's UDP port, TLS to its TLS port), both at once, each with this worker's
 * share of the sessions, messages to a peer that echoes them (turnutils_peer). Its output is read
 * as it comes (line-buffered through stdbuf) into progress, and into the worker's metrics when
 * the leg ends, by itself or because the worker was told to stop (then what was seen counts).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Metrics } from '../metrics.ts';
import { TURN_LEGS, type TurnLeg, type UclientLegOptions, UclientOutput, uclientArgs } from './uclient.ts';

export interface TurnConfig {
  /** the relay as the cloud names it, and the port of each leg (from the URLs the cloud hands out) */
  server: string;
  ports: Record<TurnLeg, number>;
  peer: { address: string; port: number };
  /** TURN REST credentials from the cloud */
  username: string;
  credential: string;
  /** this worker's sessions, on each leg */
  sessions: number;
  messages: number;
  messageBytes: number;
  intervalMs: number;
  /** uclient checks the relay's certificate only when it has one of its own (any: the relay asks for none) */
  clientCert: { certPem: string; keyPem: string };
  /** the host's trust bundle, which the relay's certificate is checked against */
  caFile: string;
}

interface Leg {
  leg: TurnLeg;
  output: UclientOutput;
  child: ChildProcess;
  closed: Promise<void>;
  exitCode: number | null;
}

export class TurnLoad {
  readonly #config: TurnConfig;
  readonly #metrics: Metrics;
  readonly #legs: Leg[] = [];
  #dir: string | undefined;
  #recorded = false;

  constructor(config: TurnConfig, metrics: Metrics) {
    this.#config = config;
    this.#metrics = metrics;
    // counted from zero, so "none failed" is a measurement and not a missing metric
    metrics.add('turn_allocations_failed', 0);
  }

  /** Starts both legs; resolves when both ended by themselves. */
  async run(): Promise<void> {
    const c = this.#config;
    this.#dir = mkdtempSync(join(tmpdir(), 'load-turn-'));
    const certFile = join(this.#dir, 'client.crt');
    const keyFile = join(this.#dir, 'client.key');
    writeFileSync(certFile, c.clientCert.certPem);
    writeFileSync(keyFile, c.clientCert.keyPem, { mode: 0o600 });
    for (const leg of TURN_LEGS) {
      const options: UclientLegOptions = {
        leg,
        server: c.server,
        port: c.ports[leg],
        peer: c.peer,
        username: c.username,
        credential: c.credential,
        sessions: c.sessions,
        messages: c.messages,
        messageBytes: c.messageBytes,
        intervalMs: c.intervalMs,
        ...(leg === 'tls' ? { tls: { certFile, keyFile, caFile: c.caFile } } : {}),
      };
      // line-buffered: its progress is read as it comes, and a run cut short keeps what it printed
      const child = spawn('stdbuf', ['-oL', 'turnutils_uclient', ...uclientArgs(options)], { stdio: ['ignore', 'pipe', 'pipe'] });
      const output = new UclientOutput(c.sessions);
      // a program that cannot start says 'error' and may never say 'close'
      const closed = new Promise<void>((resolve) => {
        child.once('close', () => resolve());
        child.once('error', () => resolve());
      });
      const entry: Leg = { leg, output, child, closed, exitCode: null };
      createInterface({ input: child.stdout! }).on('line', (line) => output.feed(line, Date.now()));
      createInterface({ input: child.stderr! }).on('line', (line) => output.feed(line, Date.now()));
      child.on('error', (err) => {
        output.refused ??= `could not start turnutils_uclient: ${err.message}`;
      });
      child.on('exit', (code) => {
        entry.exitCode = code;
      });
      this.#legs.push(entry);
    }
    await Promise.all(this.#legs.map((l) => l.closed));
  }

  progress(): { opened: number; connected: number; failed: number; back: number } {
    const sum = (f: (o: UclientOutput) => number) => this.#legs.reduce((n, l) => n + f(l.output), 0);
    return {
      opened: sum((o) => o.allocated),
      connected: sum((o) => o.relaying),
      failed: sum((o) => (o.refused ? o.sessions - o.allocated : 0)),
      back: 0,
    };
  }

  /** what each leg said, for the worker's last line */
  legs(): Array<{ leg: TurnLeg; exitCode: number | null; refused: string | undefined; sent: number; received: number }> {
    return this.#legs.map((l) => ({
      leg: l.leg,
      exitCode: l.exitCode,
      refused: l.output.refused,
      sent: l.output.sent,
      received: l.output.received,
    }));
  }

  /** Ends a leg still running (its time is up) and records every leg's metrics, once. */
  async stop(): Promise<void> {
    for (const l of this.#legs) if (l.child.exitCode === null && l.child.signalCode === null) l.child.kill('SIGTERM');
    await Promise.all(this.#legs.map((l) => l.closed));
    if (this.#dir) rmSync(this.#dir, { recursive: true, force: true });
    if (this.#recorded) return;
    this.#recorded = true;
    for (const { leg, output } of this.#legs) this.#record(leg, output);
  }

  #record(leg: TurnLeg, o: UclientOutput): void {
    const m = this.#metrics;
    m.add(`turn_sessions_${leg}`, o.sessions);
    m.add(`turn_allocations_ok_${leg}`, o.allocated);
    m.add(`turn_allocations_failed_${leg}`, o.sessions - o.allocated);
    m.add('turn_allocations_failed', o.sessions - o.allocated);
    m.add(`turn_messages_sent_${leg}`, o.sent);
    m.add(`turn_messages_received_${leg}`, o.received);
    m.add(`turn_bytes_received_${leg}`, o.receivedBytes);
    // the workers relay at the same time: their rates add up
    const kbps = o.throughputKbps;
    if (kbps !== undefined) m.add(`turn_throughput_kbps_${leg}`, kbps);
    if (o.rtt) {
      // its average is over the messages that came back: the sum rebuilt, so workers' averages merge exactly
      m.add(`turn_rtt_sum_ms_${leg}`, Math.round(o.rtt.avgMs * o.received));
      m.add(`turn_rtt_messages_${leg}`, o.received);
      m.record(`turn_rtt_max_ms_${leg}`, o.rtt.maxMs);
    }
  }
}
