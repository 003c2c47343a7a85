import { describe, expect, it } from 'vitest';
import { UclientOutput, uclientArgs } from './uclient.ts';

/** Lines as turnutils_uclient 4.6.1 printed them in the lab (-v, two sessions), trimmed to what is read. */
const SETUP = [
  '0: : IPv4. Connected from: 198.19.1.11:37065',
  '0: : IPv4. Connected from: 198.19.1.11:37065',
  '0: : allocate sent',
  '0: : success',
  '0: : IPv4. Received relay addr: 198.18.0.20:62672',
  '0: : IPv4. Received relay addr: 198.18.0.20:54862',
  '0: : channel bind sent',
  '0: : IPv4. Received relay addr: 198.18.0.20:51668',
  '0: : IPv4. Received relay addr: 198.18.0.20:55028',
  '0: : Total connect time is 0',
];
const SENDING = [
  '1: : start_mclient: msz=2, tot_send_msgs=0, tot_recv_msgs=0, tot_send_bytes ~ 0, tot_recv_bytes ~ 0',
  '2: : start_mclient: msz=2, tot_send_msgs=100, tot_recv_msgs=98, tot_send_bytes ~ 100000, tot_recv_bytes ~ 98000',
  '3: : start_mclient: msz=2, tot_send_msgs=200, tot_recv_msgs=200, tot_send_bytes ~ 200000, tot_recv_bytes ~ 200000',
];
const END = [
  '3: : start_mclient: tot_send_msgs=200, tot_recv_msgs=199',
  '3: : start_mclient: tot_send_bytes ~ 200000, tot_recv_bytes ~ 199000',
  '3: : Total transmit time is 3',
  '3: : Total lost packets 1 (0.500000%), total send dropped 0 (0.000000%)',
  '3: : Average round trip delay 0.518000 ms; min = 0 ms, max = 23 ms',
  '3: : Average jitter 1.122200 ms; min = 0 ms, max = 24 ms',
];

function read(lines: string[], sessions = 2): UclientOutput {
  const out = new UclientOutput(sessions);
  // one line a second, as it prints them
  for (const line of lines) out.feed(line, Number(line.split(':')[0]) * 1000);
  return out;
}

describe('turnutils_uclient output', () => {
  it('a run that ended by itself: every session allocated, the totals, the round trip and the throughput', () => {
    const out = read([...SETUP, ...SENDING, ...END]);
    expect(out.finished).toBe(true);
    expect(out.allocated).toBe(2);
    expect([out.sent, out.received, out.receivedBytes, out.relaying]).toEqual([200, 199, 199_000, 0]);
    expect(out.rtt).toEqual({ avgMs: 0.518, maxMs: 23 });
    // 98,000 → 200,000 bytes back between the 2nd and the 3rd second
    expect(out.throughputKbps).toBe(816);
    expect(out.refused).toBeUndefined();
  });

  it('a run cut short while setting up counts the sessions whose allocations were made (two each), and no round trip', () => {
    const out = read(SETUP.slice(0, 8), 5);
    expect(out.allocated).toBe(1);
    expect(out.finished).toBe(false);
    expect(out.throughputKbps).toBeUndefined();
    // a duplicated line (uclient prints its first line twice) is not a second allocation
    expect(read([...SETUP.slice(0, 8), SETUP[4]!], 5).allocated).toBe(1);
  });

  it('a run cut short while sending: every session was allocated, the counts so far', () => {
    const out = read([...SETUP, ...SENDING.slice(0, 2)], 2);
    expect([out.allocated, out.relaying, out.sent, out.received]).toEqual([2, 2, 100, 98]);
    expect(out.finished).toBe(false);
  });

  it('a refused allocation says so, with no session allocated', () => {
    const out = read(
      ['0: : IPv4. Connected from: 198.19.1.11:60603', '0: : allocate sent', '0: : ERROR: Cannot complete Allocation'],
      4,
    );
    expect(out.refused).toBe('Cannot complete Allocation');
    expect(out.allocated).toBe(0);
  });

  it('builds each leg’s arguments: TLS with a client certificate, so the relay’s is checked', () => {
    const common = {
      server: 'turn.multiclaw.test',
      peer: { address: '198.18.0.101', port: 40980 },
      username: '1700000000:u',
      credential: 'c',
      sessions: 3,
      messages: 50,
      messageBytes: 1000,
      intervalMs: 20,
    };
    expect(uclientArgs({ ...common, leg: 'udp', port: 3478 }).join(' ')).toBe(
      '-v -c -m 3 -n 50 -l 1000 -z 20 -e 198.18.0.101 -r 40980 -u 1700000000:u -w c -p 3478 turn.multiclaw.test',
    );
    expect(
      uclientArgs({ ...common, leg: 'tls', port: 443, tls: { certFile: 'c.crt', keyFile: 'c.key', caFile: 'ca.pem' } }).slice(
        0,
        9,
      ),
    ).toEqual(['-t', '-S', '-i', 'c.crt', '-k', 'c.key', '-E', 'ca.pem', '-v']);
  });
});
