/**
 * The relay instance's coturn configuration (runtime/turnserver-conf.ts), rendered from the
 * environment the stack gives the relay: its relay port range, and the peers it must refuse.
 */
import { describe, expect, it } from 'vitest';
import { CLOUD_VPC_CIDR } from '../address-plan.ts';
import { cidrToRange, TurnConfigError, turnserverConf } from './runtime/turnserver-conf.ts';

const OUT = '/var/lib/multiclaw-relay/turnserver.conf';
const ENV = {
  TURN_REALM: 'multiclaw.test',
  TURN_PORT: '3478',
  TURN_TLS_PORT: '443',
  TURN_MIN_PORT: '50000',
  TURN_MAX_PORT: '50999',
  TURN_EXTERNAL_IP: '198.18.7.7',
  TURN_DENIED_PEER_CIDRS: CLOUD_VPC_CIDR,
  TURN_TLS_CERT_FILE: '/etc/multiclaw-lab/secrets/multiclaw-relay/turn_tls_cert',
  TURN_TLS_KEY_FILE: '/etc/multiclaw-lab/secrets/multiclaw-relay/turn_tls_key',
};
const render = (env: Record<string, string | undefined> = ENV) => turnserverConf(env, 'shared-with-the-cloud', OUT);
const settings = (text: string, key: string) =>
  text
    .split('\n')
    .filter((l) => l.startsWith(`${key}=`))
    .map((l) => l.slice(key.length + 1));

describe('turnserver.conf on the relay instance', () => {
  it('relays on the port range the stack passes', () => {
    const text = render();
    expect(settings(text, 'min-port')).toEqual(['50000']);
    expect(settings(text, 'max-port')).toEqual(['50999']);
  });

  it('keeps the local lab’s wide default range when the stack passes none', () => {
    const { TURN_MIN_PORT: _min, TURN_MAX_PORT: _max, ...rest } = ENV;
    const text = render(rest);
    expect(settings(text, 'min-port')).toEqual(['49152']);
    expect(settings(text, 'max-port')).toEqual(['65535']);
  });

  it('refuses the cloud VPC and the link-local range (instance metadata) as peers', () => {
    expect(settings(render(), 'denied-peer-ip')).toEqual(['198.18.0.0-198.18.15.255', '169.254.0.0-169.254.255.255']);
  });

  it('takes several CIDRs, comma-separated', () => {
    const text = render({ ...ENV, TURN_DENIED_PEER_CIDRS: '198.18.2.0/24, 198.18.3.7/32' });
    expect(settings(text, 'denied-peer-ip')).toEqual([
      '198.18.2.0-198.18.2.255',
      '198.18.3.7-198.18.3.7',
      '169.254.0.0-169.254.255.255',
    ]);
  });

  it('keeps the rest as the local lab has it: shared secret, TLS 1.2+, no DTLS, logs on stdout', () => {
    const text = render();
    for (const line of [
      'listening-ip=0.0.0.0',
      'external-ip=198.18.7.7',
      'listening-port=3478',
      'tls-listening-port=443',
      'use-auth-secret',
      'static-auth-secret=shared-with-the-cloud',
      'realm=multiclaw.test',
      'no-tlsv1_1',
      'no-dtls',
      'no-multicast-peers',
      'log-file=stdout',
      `pidfile=${OUT}.pid`,
    ])
      expect(text.split('\n')).toContain(line);
  });

  it('refuses what coturn would misread or the stack got wrong', () => {
    const refuses = (env: Record<string, string | undefined>, message: RegExp) =>
      expect(() => render(env)).toThrow(
        expect.objectContaining({ name: TurnConfigError.name, message: expect.stringMatching(message) }),
      );
    refuses({ ...ENV, TURN_MIN_PORT: '60000', TURN_MAX_PORT: '50000' }, /range 60000-50000 is empty/);
    refuses({ ...ENV, TURN_MIN_PORT: 'low' }, /TURN_MIN_PORT="low" is not a port/);
    refuses({ ...ENV, TURN_MIN_PORT: '400', TURN_MAX_PORT: '5000' }, /TURN_PORT 3478 lies inside/);
    refuses({ ...ENV, TURN_DENIED_PEER_CIDRS: '198.18.0.0' }, /not an IPv4 CIDR/);
    refuses({ ...ENV, TURN_REALM: undefined }, /TURN_REALM is not set/);
  });

  it('turns a CIDR into the first-last range coturn takes', () => {
    expect(cidrToRange('198.18.0.0/15')).toBe('198.18.0.0-198.19.255.255');
    expect(cidrToRange('198.18.129.128/25')).toBe('198.18.129.128-198.18.129.255');
    expect(cidrToRange('198.18.2.9/24')).toBe('198.18.2.0-198.18.2.255');
  });
});
