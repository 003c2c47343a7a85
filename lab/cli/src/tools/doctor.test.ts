import { describe, expect, it } from 'vitest';
import { ACTIONLINT, TOOLS, TOXIPROXY_SERVER } from './catalog.ts';
import { formatDoctorReport, runDoctor } from './doctor.ts';
import { fakeProbe } from './testing-probe.ts';

/** A machine with every tool of the catalog, minus `without`. */
function machine(without: string[] = [], extra: Parameters<typeof fakeProbe>[0] = {}) {
  const commands = TOOLS.flatMap((t) => (t.check.kind === 'commands' ? t.check.names : [])).filter((c) => !without.includes(c));
  const files = [
    '/usr/lib/postgresql/15/bin/initdb',
    '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1',
    '/usr/lib/python3.11/venv/__init__.py',
    '/usr/lib/x86_64-linux-gnu/engines-3/gost.so',
    TOXIPROXY_SERVER,
    ACTIONLINT,
  ].filter((f) => !without.some((w) => f.includes(w)));
  return fakeProbe({ commands, files, gos: [{ path: '/usr/local/go/bin/go', version: '1.26.8' }], ...extra });
}

describe('lab doctor', () => {
  it('says everything is installed on a complete machine, and where each tool is', async () => {
    const report = await runDoctor(machine());
    expect(report.ok).toBe(true);
    expect(report.tools.map((t) => t.id)).toEqual(TOOLS.map((t) => t.id));
    const text = formatDoctorReport(report);
    expect(text).toMatch(/^coturn\s+installed\s+\/usr\/bin\/turnserver \/usr\/bin\/turnutils_uclient$/m);
    expect(text).toMatch(/^postgresql\s+installed\s+\/usr\/lib\/postgresql\/15\/bin\/initdb$/m);
    expect(text).toContain('everything the lab needs is installed');
  });

  it('names each missing tool with the exact command that installs it', async () => {
    const report = await runDoctor(machine(['socat', 'turnutils_uclient', 'libfaketime'], { isRoot: false }));
    expect(report.ok).toBe(false);
    const byId = Object.fromEntries(report.tools.map((t) => [t.id, t]));
    expect(byId.socat).toMatchObject({ status: 'missing', fix: 'sudo apt-get install -y --no-install-recommends socat' });
    expect(byId.coturn).toMatchObject({ status: 'missing', found: 'no turnutils_uclient' });
    expect(byId.libfaketime?.status).toBe('missing');
    expect(byId.openssl?.status).toBe('ok');
    const text = formatDoctorReport(report);
    expect(text).toMatch(/^socat\s+MISSING/m);
    expect(text).toContain('3 missing; how to get them:');
    expect(text).toContain('  coturn: sudo apt-get install -y --no-install-recommends coturn');
    expect(text).toContain('or all at once: sudo pnpm lab doctor --install');
  });

  it("calls Debian 12's Go too old for toxiproxy and an old Node outdated", async () => {
    const report = await runDoctor(machine([], { node: '20.19.0', gos: [{ path: '/usr/bin/go', version: '1.19.8' }] }));
    const byId = Object.fromEntries(report.tools.map((t) => [t.id, t]));
    expect(byId.go).toMatchObject({ status: 'outdated', found: '/usr/bin/go (go1.19.8, need 1.25+)' });
    expect(byId.go?.fix).toContain('pnpm lab doctor --install');
    expect(byId.node).toMatchObject({
      status: 'outdated',
      fix: 'bash scripts/bootstrap.sh   (installs Node 24 from the npm registry)',
    });
  });

  it('gives a JSON report with the same facts', async () => {
    const report = await runDoctor(machine(['toxiproxy-server']));
    const json = JSON.parse(JSON.stringify(report));
    expect(json.ok).toBe(false);
    expect(json.tools.find((t: { id: string }) => t.id === 'toxiproxy')).toMatchObject({ status: 'missing' });
  });
});
