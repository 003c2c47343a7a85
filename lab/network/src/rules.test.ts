import { describe, expect, it } from 'vitest';
import { checkPrefix, faultTable, vethPeerName } from './names.ts';
import { hostsFile, resolvConf } from './provision.ts';
import { edgeDropRuleset, match, proxyOnlyRuleset, redirectRuleset, routerRuleset } from './rules.ts';
import { buildTopology, hostById } from './topology.ts';

describe('nft rulesets', () => {
  it('the router masquerades its LAN and lets nothing in from the WAN', () => {
    const rules = routerRuleset('lab_router', { lanInterface: 'lan', wanInterface: 'wan', lanCidr: '198.19.1.0/24' });
    expect(rules).toContain('type filter hook forward priority 0; policy drop;');
    expect(rules).toContain('iifname "lan" oifname "wan" ct state new accept');
    expect(rules).toContain('ip saddr 198.19.1.0/24 oifname "wan" masquerade');
    expect(rules).toContain('iifname "wan" drop');
  });

  it('site faults act on the WAN link, host faults on every interface but lo, before redirects', () => {
    const site = edgeDropRuleset('lab_blockudp_1', { kind: 'site', wanInterface: 'wan' }, match.udp());
    expect(site).toContain('iifname "wan" meta l4proto udp drop');
    expect(site).toContain('oifname "wan" meta l4proto udp drop');
    expect(site).toContain('hook prerouting priority -150'); // before dstnat (-100)
    const host = edgeDropRuleset('lab_blockport_2', { kind: 'host' }, match.port('tcp', 443));
    expect(host).toContain('iifname != "lo" tcp dport 443 drop');
    expect(host).toContain('oifname != "lo" tcp dport 443 drop');
  });

  it('a site edge without a router of the lab acts on a host’s traffic beyond the site’s network', () => {
    const rules = edgeDropRuleset('lab_cutsite_3', { kind: 'beyond', cidr: '198.19.1.0/24' }, match.all());
    expect(rules).toContain('iifname != "lo" ip saddr != 198.19.1.0/24 drop');
    expect(rules).toContain('oifname != "lo" ip daddr != 198.19.1.0/24 drop');
    expect(() => edgeDropRuleset('t', { kind: 'beyond', cidr: '198.19.1.0/24; flush ruleset' }, match.all())).toThrow();
  });

  it('UDP with one peer: from it on the way in, to it on the way out; other UDP passes', () => {
    const rules = edgeDropRuleset('lab_blockudppeer_4', { kind: 'site', wanInterface: 'wan' }, match.udpWithPeer('198.18.0.101'));
    expect(rules).toContain('iifname "wan" meta l4proto udp ip saddr 198.18.0.101 drop');
    expect(rules).toContain('oifname "wan" meta l4proto udp ip daddr 198.18.0.101 drop');
    expect(rules).not.toMatch(/meta l4proto udp drop/);
    expect(() => match.udpWithPeer('8.8.8.8')).toThrow();
  });

  it('a drop share is a random number per packet; 100 % drops everything', () => {
    expect(match.share(30)).toBe('numgen random mod 100 < 30');
    expect(match.share(100)).toBe('');
    expect(() => match.share(101)).toThrow(expect.objectContaining({ code: 'LAB_BAD_FAULT' }));
    expect(() => match.share(2.5)).toThrow(/0–100/);
  });

  it('proxy-only accepts the router and the allowed destinations, then drops', () => {
    const rules = proxyOnlyRuleset('lab_proxyonly_3', 'lan', '198.19.1.1', [
      { address: '198.18.0.10', port: 443 },
      { address: '198.18.0.20', port: 3478, proto: 'udp' },
    ]);
    const lines = rules.split('\n').map((l) => l.trim());
    const at = (l: string) => lines.indexOf(l);
    expect(at('ip daddr 198.19.1.1 accept')).toBeGreaterThan(0);
    expect(at('ip daddr 198.18.0.10 tcp dport 443 accept')).toBeGreaterThan(0);
    expect(at('ip daddr 198.18.0.20 udp dport 3478 accept')).toBeGreaterThan(0);
    expect(at('drop')).toBeGreaterThan(at('ip daddr 198.18.0.20 udp dport 3478 accept'));
  });

  it('redirects LAN TCP to one destination into a local port', () => {
    expect(redirectRuleset('lab_steer_4', 'lan', { toAddress: '198.18.0.10', toPort: 443, localPort: 18443 })).toContain(
      'iifname "lan" ip daddr 198.18.0.10 tcp dport 443 redirect to :18443',
    );
  });

  it('refuses values that would inject nft syntax', () => {
    expect(() => redirectRuleset('t', 'lan', { toAddress: '1.2.3.4 accept', toPort: 1, localPort: 2 })).toThrow(/IPv4/);
    expect(() => redirectRuleset('t', 'lan"; flush ruleset', { toAddress: '198.18.0.1', toPort: 1, localPort: 2 })).toThrow(
      /unsafe/,
    );
    expect(() => match.port('tcp', 70000)).toThrow(/not a port/);
  });
});

describe('names and host files', () => {
  it('prefixes are short and cannot contain "-", so one never matches another', () => {
    expect(checkPrefix('mcl')).toBe('mcl');
    expect(checkPrefix('t3a9f0')).toBe('t3a9f0');
    for (const bad of ['', 'mcl-1', 'MCL', '1abc', 'abcdefghi']) expect(() => checkPrefix(bad), bad).toThrow(/prefix/);
  });

  it('fabric-side veth names fit in 15 bytes for the longest host ids', () => {
    const topology = buildTopology({ sites: 50, desktops: 20, cloudDesktops: 50 });
    const names = topology.hosts.flatMap((host) => host.interfaces.map((_, i) => vethPeerName(host, i)));
    expect(Math.max(...names.map((n) => n.length))).toBeLessThanOrEqual(15);
    expect(new Set(names).size).toBe(names.length); // unique inside the fabric namespace
    expect(faultTable('cutsite', 7)).toBe('lab_cutsite_7');
  });

  it('a host resolves localhost, its own name and the public names, and has no reachable DNS', () => {
    const file = hostsFile(hostById(buildTopology(), 's1-d1'));
    expect(file).toMatch(/^127\.0\.0\.1\tlocalhost$/m);
    expect(file).toMatch(/^198\.19\.1\.11\ts1-d1$/m);
    expect(file).toMatch(/^198\.18\.0\.10\tapi\.multiclaw\.test$/m);
    expect(resolvConf()).toMatch(/^nameserver 127\.0\.0\.1$/m);
  });
});
