import { describe, expect, it } from 'vitest';
import { checkCloudInstances, cloudBalancerDef, cloudInstances, haproxyConfig } from './cloud-balancer.ts';

const config = () =>
  haproxyConfig({
    address: '198.18.0.10',
    instances: cloudInstances(3),
    adminSocket: '/state/run/cloud-lb.sock',
    caFile: '/state/hosts/cloud/trust/ca-certificates.crt',
  });
const lines = (text: string) => text.split('\n').map((l) => l.trim());

describe('several cloud instances behind HAProxy', () => {
  it('names instance 1 `cloud` (what a single-instance lab has) and the others cloud-2 …, each on its own port', () => {
    expect(cloudInstances(1)).toEqual([{ id: 'cloud', port: 8444 }]);
    expect(cloudInstances(3)).toEqual([
      { id: 'cloud', port: 8444 },
      { id: 'cloud-2', port: 8445 },
      { id: 'cloud-3', port: 8446 },
    ]);
  });

  it.each([0, 9, 1.5, Number.NaN])('refuses %s instances with a clear error', (n) => {
    expect(() => checkCloudInstances(n)).toThrow(expect.objectContaining({ code: 'LAB_BAD_TOPOLOGY' }));
    expect(() => checkCloudInstances(n)).toThrow(/cloud instances must be a whole number from 1 to 8/);
  });

  it('defaults to one instance', () => {
    expect(checkCloudInstances(undefined)).toBe(1);
  });

  it("passes TCP through on the cloud's public port (TLS ends in the cloud), to instances on the host's loopback only", () => {
    const c = lines(config());
    expect(c).toContain('mode tcp');
    expect(c).toContain('bind 198.18.0.10:443');
    expect(c.filter((l) => l.startsWith('server '))).toEqual([
      'server cloud 127.0.0.1:8444',
      'server cloud-2 127.0.0.1:8445',
      'server cloud-3 127.0.0.1:8446',
    ]);
    // no certificate of its own, and no TLS towards the instances on the data path (the health
    // checks' own TLS is check-ssl)
    const words = c.flatMap((l) => l.split(' '));
    expect(words).not.toContain('ssl');
    expect(words).not.toContain('crt');
  });

  it('health-checks every instance as the staging load balancer does (GET /healthz over verified TLS, 200) and sends a refused connection elsewhere', () => {
    const c = lines(config());
    expect(c).toContain('option httpchk');
    expect(c).toContain('http-check send meth GET uri /healthz ver HTTP/1.1 hdr host api.multiclaw.test');
    expect(c).toContain('http-check expect status 200');
    const checks = c.find((l) => l.startsWith('default-server '))!.split(' ');
    expect(checks).toEqual(expect.arrayContaining(['check', 'check-ssl']));
    const option = (word: string) => checks[checks.indexOf(word) + 1];
    expect([option('verify'), option('ca-file'), option('check-sni'), option('verifyhost')]).toEqual([
      'required',
      '/state/hosts/cloud/trust/ca-certificates.crt',
      'api.multiclaw.test',
      'api.multiclaw.test',
    ]);
    expect([option('fall'), option('rise')]).toEqual(['3', '2']);
    // a client's connection refused by a dead instance counts as a failed check: it goes at once
    expect([option('observe'), option('error-limit'), option('on-error')]).toEqual(['layer4', '1', 'fail-check']);
    expect(c).toContain('option redispatch 1');
    expect(c).toContain('retries 3');
  });

  it('gives a busy instance time to answer a check: its SYNs may be dropped and sent again after 1 s and 3 s', () => {
    const c = lines(config());
    const ms = (line: string | undefined) => {
      const m = /(\d+)(ms|s)$/.exec(line ?? '');
      return m ? Number(m[1]) * (m[2] === 's' ? 1000 : 1) : 0;
    };
    expect(ms(c.find((l) => l.startsWith('timeout connect ')))).toBeGreaterThan(3000);
    expect(ms(c.find((l) => l.startsWith('timeout check ')))).toBeGreaterThan(3000);
    const checks = c.find((l) => l.startsWith('default-server '))!.split(' ');
    // HAProxy connects a check within min(timeout connect, inter)
    expect(ms(checks[checks.indexOf('inter') + 1])).toBeGreaterThan(3000);
  });

  it("keeps a quiet WebSocket open past the cloud's heartbeat (ping every 15 s, 10 s to answer)", () => {
    const seconds = (name: string) => {
      const m = new RegExp(`^timeout ${name} (\\d+)(s|h)$`).exec(
        lines(config()).find((l) => l.startsWith(`timeout ${name} `)) ?? '',
      );
      return m ? Number(m[1]) * (m[2] === 'h' ? 3600 : 1) : 0;
    };
    expect(seconds('tunnel')).toBeGreaterThan(25);
    expect(seconds('client')).toBeGreaterThan(25);
    expect(seconds('server')).toBeGreaterThan(25);
  });

  it('logs each connection as one JSON line naming the instance that served it', () => {
    const format = /^ {2}log-format '(.*)'$/m.exec(config())?.[1];
    expect(format).toBeDefined();
    // with HAProxy's fields filled in as it would, the line is JSON
    const filled = format!
      .replace('%ci:%cp', '198.19.1.20:40000')
      .replace('%s', 'cloud-2')
      .replace('%ts', '--')
      // a connection refused by one instance and sent to another: HAProxy writes +1
      .replace('%rc', '+1')
      .replace(/%[A-Za-z]+/g, '-1');
    expect(JSON.parse(filled)).toMatchObject({ event: 'lb.connection', server: 'cloud-2', termination: '--', retries: '+1' });
    expect(lines(config())).toContain('log stdout format raw local0 info');
  });

  it('is a lab service of kind lb in the cloud host, ready when the master has forked its worker', () => {
    const def = cloudBalancerDef({ host: 'cloud', configFile: '/state/run/cloud-lb.cfg' });
    expect(def).toMatchObject({ id: 'cloud-lb', kind: 'lb', host: 'cloud', command: 'haproxy' });
    expect(def.args).toEqual(['-W', '-db', '-f', '/state/run/cloud-lb.cfg']);
    expect(def.ready?.({ stream: 'stderr', text: '[NOTICE]   (7) : Loading success.', json: undefined, receivedAt: 0 })).toBe(
      true,
    );
  });
});
