import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lab } from '../src/lab/lab.ts';
import { enableDpi, enableProxyOnly } from '../src/lab/site-controls.ts';
import { startTestLab } from './lab-support.ts';

/**
 * The controls on a site's link: TCP faults through toxiproxy, TLS interception by a DPI box,
 * and proxy-only egress through squid. Each is shown to take effect (a probe from the site
 * fails or changes while it is on) and to heal (the probe passes again).
 */
let lab: Lab;
const API = 'https://api.multiclaw.test/healthz';
/** the toxics on a site's proxy for one upstream, as toxiproxy itself reports them */
const toxics = async (upstream: 'api' | 'cdn') =>
  (await lab.link('s1').client.getProxy(lab.link('s1').proxyName(upstream))).toxics.map((t) => t.type);
let bigFile: string;

beforeAll(async () => {
  lab = await startTestLab();
  // a 256 KiB update artifact on the CDN: something big enough to feel bandwidth and byte limits
  const release = await lab.cdnAdmin.publish({ channel: 'bench', version: '9.9.9', variant: 'valid', sizeBytes: 256 * 1024 });
  bigFile = release.artifactUrl;
}, 180_000);

afterAll(async () => {
  await lab?.down();
});

describe('TCP link faults (toxiproxy on the site router)', () => {
  it('the site reaches the cloud through its link', async () => {
    expect(await lab.httpsProbe('s1-d1', API)).toMatchObject({ ok: true, status: 200 });
    expect(bigFile).toMatch(/^https:\/\/cdn\.multiclaw\.test\//);
  });

  it('reset: open connections die, new ones are refused, and the desktop recovers after heal', async () => {
    const desktop = lab.desktop('s1-d1');
    const mark = desktop.mark();
    const fault = await lab.linkFault('s1', 'reset', { upstreams: ['api'] });
    try {
      expect((await lab.httpsProbe('s1-d1', API)).ok).toBe(false);
      await desktop.waitForEvent({ event: 'realtime.backoff' }, { since: mark });
    } finally {
      await fault.heal();
    }
    expect(await lab.httpsProbe('s1-d1', API)).toMatchObject({ ok: true });
    await desktop.waitForEvent({ event: 'realtime.reconnected' }, { since: mark, timeoutMs: 60_000 });
  });

  it('blackhole: requests hang until heal', async () => {
    const fault = await lab.linkFault('s1', 'blackhole', { upstreams: ['api'] });
    try {
      const probe = await lab.httpsProbe('s1-d1', API, { timeoutMs: 1_500 });
      expect(probe.ok).toBe(false);
      // curl's exit 28 is a timeout, worded by the phase it hit ("Operation timed out", "SSL connection timeout")
      expect(probe.error).toMatch(/^curl: \(28\) /);
    } finally {
      await fault.heal();
    }
    expect(await lab.httpsProbe('s1-d1', API)).toMatchObject({ ok: true });
  });

  it('latency: every answer comes at least that much later', async () => {
    const fault = await lab.linkFault('s1', 'latency', { upstreams: ['api'], ms: 700 });
    expect(await toxics('api')).toEqual(['latency']);
    const slow = await lab.httpsProbe('s1-d1', API, { timeoutMs: 10_000 });
    await fault.heal();
    expect(slow).toMatchObject({ ok: true });
    // the TLS handshake and the response each wait at least 700 ms downstream
    expect(slow.timeMs).toBeGreaterThanOrEqual(700);
    // healed: the link carries no toxic any more, and a request that cannot wait 700 ms passes
    expect(await toxics('api')).toEqual([]);
    expect(await lab.httpsProbe('s1-d1', API, { timeoutMs: 10_000 })).toMatchObject({ ok: true, status: 200 });
  });

  it('bandwidth: a large download no longer fits in the time it needs without the fault', async () => {
    const fault = await lab.linkFault('s1', 'bandwidth', { upstreams: ['cdn'], kbps: 16 });
    const throttled = await lab.httpsProbe('s1-d1', bigFile, { timeoutMs: 3_000 });
    await fault.heal();
    expect(await toxics('cdn')).toEqual([]);
    expect(throttled.ok).toBe(false);
    expect(throttled.bytes).toBeLessThan(256 * 1024);
    expect(await lab.httpsProbe('s1-d1', bigFile, { timeoutMs: 10_000 })).toMatchObject({ ok: true, bytes: 256 * 1024 });
  });

  it('byte limit: a connection is cut after that many bytes', async () => {
    const fault = await lab.linkFault('s1', 'byte-limit', { upstreams: ['cdn'], bytes: 20_000 });
    const cut = await lab.httpsProbe('s1-d1', bigFile, { timeoutMs: 5_000 });
    await fault.heal();
    expect(cut.ok).toBe(false);
    expect(cut.bytes).toBeLessThan(20_000);
    expect(await lab.httpsProbe('s1-d1', bigFile, { timeoutMs: 10_000 })).toMatchObject({ ok: true, bytes: 256 * 1024 });
  });

  it('slow close: the close of a finished connection is held back', async () => {
    // Raw TCP, so the time to the FIN is what is measured (TLS would end at close_notify):
    // the cloud answers garbage by closing the connection at once.
    const untilClosed = async () => {
      const started = performance.now();
      const result = await lab.driver.exec(
        's1-d1',
        'bash',
        ['-c', 'exec 3<>/dev/tcp/198.18.0.10/443; printf "not tls\\r\\n\\r\\n" >&3; cat <&3 >/dev/null'],
        { timeoutMs: 15_000 },
      );
      return { code: result.code, ms: performance.now() - started };
    };
    const fault = await lab.linkFault('s1', 'slow-close', { upstreams: ['api'], ms: 1_500 });
    expect(await toxics('api')).toEqual(['slow_close']);
    const held = await untilClosed();
    await fault.heal();
    expect(held.code).toBe(0);
    expect(held.ms).toBeGreaterThanOrEqual(1_500);
    expect(await toxics('api')).toEqual([]);
    expect((await untilClosed()).code).toBe(0);
  });
});

describe('TLS interception (DPI) and proxy-only egress', () => {
  it('untrusted DPI: TLS fails closed and the box decrypts nothing', async () => {
    const dpi = await enableDpi(lab, 's1', 'untrusted');
    try {
      const probe = await lab.httpsProbe('s1-d1', API);
      expect(probe.ok).toBe(false);
      expect(probe.error).toMatch(/certificate/i);
      expect((await lab.status()).services.find((s) => s.id === 's1-mitmproxy')).toMatchObject({
        healthy: true,
        detail: 'accepts TCP on 198.19.1.1:8443',
      });
      expect(dpi.events().some((e) => e.event === 'mitm.tls_failed' && e.side === 'client')).toBe(true);
      expect(dpi.events().filter((e) => e.event === 'mitm.request')).toEqual([]);
    } finally {
      await dpi.heal();
    }
    expect(await lab.httpsProbe('s1-d1', API)).toMatchObject({ ok: true });
  });

  it("DPI whose CA is in the host's trust store: works, and the box sees the requests", async () => {
    const bundle = lab.hostFiles('s1-d1').trustBundle;
    const before = await readFile(bundle, 'utf8');
    const dpi = await enableDpi(lab, 's1', 'trusted');
    try {
      expect(await lab.httpsProbe('s1-d1', API)).toMatchObject({ ok: true, status: 200 });
      expect(dpi.events().some((e) => e.event === 'mitm.request' && e.host === 'api.multiclaw.test')).toBe(true);
    } finally {
      await dpi.heal();
    }
    expect(await readFile(bundle, 'utf8')).toBe(before);
    expect(await lab.httpsProbe('s1-d1', API)).toMatchObject({ ok: true, status: 200 });
    expect((await lab.status()).services.some((s) => s.kind === 'mitmproxy')).toBe(false);
  });

  it('DPI with the MultiClaw names excluded: MultiClaw passes untouched, other names are still intercepted', async () => {
    const dpi = await enableDpi(lab, 's1', 'excluded');
    try {
      expect(await lab.httpsProbe('s1-d1', API)).toMatchObject({ ok: true, status: 200 });
      expect((await lab.httpsProbe('s1-d1', 'https://api.llm.test/v1/models')).ok).toBe(false);
      expect(dpi.events().some((e) => e.event === 'mitm.request' && e.host === 'api.multiclaw.test')).toBe(false);
    } finally {
      await dpi.heal();
    }
    // healed: the other names are no longer intercepted either
    expect((await lab.httpsProbe('s1-d1', 'https://api.llm.test/v1/models')).ok).toBe(true);
  });

  it('proxy-only: direct egress is blocked, the corporate proxy works, and heal restores direct egress', async () => {
    const proxy = await enableProxyOnly(lab, 's1');
    try {
      expect((await lab.httpsProbe('s1-d1', API, { timeoutMs: 1_500 })).ok).toBe(false);
      expect(await lab.httpsProbe('s1-d1', API, { proxy: proxy.proxyUrl })).toMatchObject({ ok: true, status: 200 });
      expect((await lab.status()).services.find((s) => s.id === 's1-squid')).toMatchObject({
        healthy: true,
        detail: 'accepts TCP on 198.19.1.1:3128',
      });
      const log = await proxy.squid.accessLog();
      expect(log.some((l) => l.method === 'CONNECT' && l.url.startsWith('api.multiclaw.test:443'))).toBe(true);
    } finally {
      await proxy.heal();
    }
    expect(await lab.httpsProbe('s1-d1', API)).toMatchObject({ ok: true });
  });
});
