/**
 * coturn's own load client, `turnutils_uclient` (Debian's coturn 4.6.1), as the turn profile runs
 * it: its arguments for one leg (UDP, or TLS on the relay's TLS port) and what its output says.
 *
 * How it behaves, which the parsing relies on:
 *   - it sets its sessions up one after another (each: a probe allocation, then its own, a
 *     refresh and channel binds to the peer), and exits at once (code 255, "Cannot complete
 *     Allocation") when one is refused; only once every session is up does it send, so any
 *     progress line means every session was allocated;
 *   - with -v each allocation prints "Received relay addr: IP:PORT" (two per session);
 *   - once a second it prints "start_mclient: msz=…, tot_send_msgs=…, tot_recv_msgs=…,
 *     tot_send_bytes ~ …, tot_recv_bytes ~ …" (msz: sessions still relaying), and at the end the
 *     totals and "Average round trip delay A ms; min = m ms, max = M ms" (whole milliseconds
 *     underneath: its clock ticks in ms);
 *   - a session's messages carry their send time and are echoed by the peer (turnutils_peer); a
 *     session is done when all came back, or 10 s after its last was sent;
 *   - an allocation that gets no answer (UDP dropped) waits for ever: it has no timeout of its own;
 *   - over TLS it checks the relay's certificate against -E only when it has a client certificate
 *     of its own (-i/-k); without one, -E is ignored and any certificate is accepted.
 */

export type TurnLeg = 'udp' | 'tls';
export const TURN_LEGS: readonly TurnLeg[] = ['udp', 'tls'];

export interface UclientLegOptions {
  leg: TurnLeg;
  /** the relay's name or address, and the port of this leg */
  server: string;
  port: number;
  /** where the relay sends the messages (turnutils_peer echoes them back) */
  peer: { address: string; port: number };
  username: string;
  credential: string;
  sessions: number;
  /** per session */
  messages: number;
  messageBytes: number;
  intervalMs: number;
  /** TLS: a client certificate (so uclient checks the relay's) and the CA bundle it checks against */
  tls?: { certFile: string; keyFile: string; caFile: string };
}

/** The arguments of one leg (for `turnutils_uclient`). */
export function uclientArgs(o: UclientLegOptions): string[] {
  const transport =
    o.leg === 'tls' ? (o.tls ? ['-t', '-S', '-i', o.tls.certFile, '-k', o.tls.keyFile, '-E', o.tls.caFile] : ['-t', '-S']) : [];
  return [
    ...transport,
    // verbose: one line per allocation, so a run cut short still says how many were made
    '-v',
    // no RTCP companion sessions: one session is one allocation to the peer
    '-c',
    ...['-m', String(o.sessions), '-n', String(o.messages), '-l', String(o.messageBytes), '-z', String(o.intervalMs)],
    ...['-e', o.peer.address, '-r', String(o.peer.port)],
    ...['-u', o.username, '-w', o.credential],
    ...['-p', String(o.port)],
    o.server,
  ];
}

interface Counts {
  /** worker clock */
  at: number;
  sent: number;
  received: number;
  receivedBytes: number;
}

const PROGRESS =
  /start_mclient: msz=(\d+), tot_send_msgs=(\d+), tot_recv_msgs=(\d+), tot_send_bytes ~ (\d+), tot_recv_bytes ~ (\d+)/;
const FINAL_MESSAGES = /start_mclient: tot_send_msgs=(\d+), tot_recv_msgs=(\d+)\s*$/;
const FINAL_BYTES = /start_mclient: tot_send_bytes ~ (\d+), tot_recv_bytes ~ (\d+)\s*$/;
const RTT = /Average round trip delay ([\d.]+) ms; min = (\d+) ms, max = (\d+) ms/;
const RELAY = /Received relay addr: (\S+)/;
const ERROR = /\berror (\d{3}) \(([^)]*)\)/;

/** What one uclient run said, read line by line as it comes. */
export class UclientOutput {
  readonly sessions: number;
  /** distinct relay addresses granted (its first line is sometimes printed twice) */
  readonly #relays = new Set<string>();
  /** it reached its send loop: every session was allocated */
  transmitting = false;
  /** sessions relaying now */
  relaying = 0;
  sent = 0;
  received = 0;
  receivedBytes = 0;
  /** the totals and the round trip it prints when it ends by itself */
  rtt: { avgMs: number; maxMs: number } | undefined;
  /** why it gave up, if it did ("Cannot complete Allocation", with the relay's error when it gave one) */
  refused: string | undefined;
  #lastError: string | undefined;
  /** the first counts with a message sent, and the first with every message that came back */
  #from: Counts | undefined;
  #to: Counts | undefined;

  constructor(sessions: number) {
    this.sessions = sessions;
  }

  /** sessions allocated: all of them once it sends; before that, two allocations per session made so far */
  get allocated(): number {
    return this.transmitting ? this.sessions : Math.min(this.sessions, Math.floor(this.#relays.size / 2));
  }

  get finished(): boolean {
    return this.rtt !== undefined;
  }

  feed(line: string, at: number): void {
    const relay = RELAY.exec(line);
    if (relay) this.#relays.add(relay[1]!);
    const error = ERROR.exec(line);
    if (error) this.#lastError = `${error[1]} ${error[2]}`;
    if (line.includes('Cannot complete Allocation'))
      this.refused = `Cannot complete Allocation${this.#lastError ? ` (${this.#lastError})` : ''}`;
    const progress = PROGRESS.exec(line);
    if (progress) {
      this.transmitting = true;
      this.relaying = Number(progress[1]);
      this.#count(at, Number(progress[2]), Number(progress[3]), Number(progress[5]));
    }
    const messages = FINAL_MESSAGES.exec(line);
    if (messages) {
      this.sent = Number(messages[1]);
      this.received = Number(messages[2]);
      this.relaying = 0;
    }
    const bytes = FINAL_BYTES.exec(line);
    if (bytes) this.#count(at, this.sent, this.received, Number(bytes[2]));
    const rtt = RTT.exec(line);
    if (rtt) this.rtt = { avgMs: Number(rtt[1]), maxMs: Number(rtt[3]) };
  }

  #count(at: number, sent: number, received: number, receivedBytes: number): void {
    this.sent = sent;
    this.received = received;
    this.receivedBytes = receivedBytes;
    if (sent > 0 && !this.#from) this.#from = { at, sent, received, receivedBytes };
    if (!this.#to || received > this.#to.received) this.#to = { at, sent, received, receivedBytes };
  }

  /**
   * Relayed throughput back from the peer (kbit/s), over the time between the first counts with
   * a message sent and the last counts that grew: whole seconds apart, as uclient prints them.
   */
  get throughputKbps(): number | undefined {
    const from = this.#from;
    const to = this.#to;
    if (!from || !to || to.at <= from.at) return undefined;
    return Math.round(((to.receivedBytes - from.receivedBytes) * 8) / (to.at - from.at));
  }
}
