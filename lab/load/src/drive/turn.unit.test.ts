import { describe, expect, it } from 'vitest';
import { Metrics } from '../metrics.ts';
import { concludeTurn, legPorts } from './turn.ts';

describe('the turn profile', () => {
  it('finds each leg’s port in the URLs the cloud hands out, and refuses a list without both', () => {
    expect(
      legPorts([
        'stun:turn.multiclaw.test:3478',
        'turn:turn.multiclaw.test:3478?transport=udp',
        'turns:turn.multiclaw.test:443?transport=tcp',
      ]),
    ).toEqual({ server: 'turn.multiclaw.test', ports: { udp: 3478, tls: 443 } });
    expect(() => legPorts(['turn:turn.multiclaw.test:3478?transport=udp'])).toThrow(/no turn: UDP and turns: URL/);
  });

  it('merges the workers’ counts into each leg’s loss and average round trip; a leg that sent nothing has no loss measured', () => {
    const metrics = new Metrics();
    // two workers: 1,000 and 500 messages sent on UDP, 990 and 500 back, averages 2 ms and 5 ms
    for (const [sent, received, avg] of [
      [1000, 990, 2],
      [500, 500, 5],
    ] as const) {
      const worker = new Metrics();
      worker.add('turn_messages_sent_udp', sent);
      worker.add('turn_messages_received_udp', received);
      worker.add('turn_rtt_sum_ms_udp', avg * received);
      worker.add('turn_rtt_messages_udp', received);
      worker.add('turn_messages_sent_tls', 0);
      metrics.merge(worker.encode());
    }
    concludeTurn({ metrics });
    const { gauges } = metrics.summary();
    expect(gauges.turn_loss_pct_udp).toBe(0.67);
    // weighted by the messages each averaged over, not the mean of the two averages
    expect(gauges.turn_rtt_avg_ms_udp).toBe(3.007);
    expect(gauges.turn_loss_pct_tls).toBeUndefined();
  });
});
