import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Tool } from './catalog.ts';
import { type CommandRunner, InstallBlockedError, installMissing, NeedsRootError } from './install.ts';
import { fakeProbe } from './testing-probe.ts';

const dir = await mkdtemp(join(tmpdir(), 'mclab-install-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

const tools = (installAs: string): Tool[] => [
  {
    id: 'socat',
    purpose: 'bridges',
    check: { kind: 'commands', names: ['socat'] },
    install: { kind: 'apt', packages: ['socat'] },
  },
  {
    id: 'coturn',
    purpose: 'relay',
    check: { kind: 'commands', names: ['turnserver'] },
    install: { kind: 'apt', packages: ['coturn'] },
  },
  {
    id: 'openssl',
    purpose: 'probes',
    check: { kind: 'commands', names: ['openssl'] },
    install: { kind: 'apt', packages: ['openssl'] },
  },
  {
    id: 'go',
    purpose: 'builds',
    check: { kind: 'go', minVersion: '1.25' },
    install: { kind: 'go-toolchain', aptPackage: 'golang-go', version: '1.25.14' },
  },
  {
    id: 'toxiproxy',
    purpose: 'faults',
    check: { kind: 'file', patterns: [installAs] },
    install: {
      kind: 'go-install',
      packagePath: 'github.com/Shopify/toxiproxy/v2/cmd/server',
      version: 'v2.12.0',
      builds: 'server',
      installAs,
    },
    needs: ['go'],
  },
];

describe('installing what is missing', () => {
  it('changes nothing when not root and says exactly what to run', async () => {
    const calls: string[] = [];
    const probe = fakeProbe({ isRoot: false, commands: ['openssl'] });
    const err = await installMissing({
      probe,
      tools: tools(join(dir, 'none')),
      run: async (c, a) => {
        calls.push(`${c} ${a.join(' ')}`);
        return '';
      },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NeedsRootError);
    expect((err as NeedsRootError).commands).toEqual([
      'sudo apt-get update && sudo apt-get install -y --no-install-recommends socat coturn golang-go',
      'sudo pnpm lab doctor --install',
    ]);
    expect(calls).toEqual([]);
  });

  it('as root: one apt update, one apt install, then Go from the toolchain module, then the Go tool', async () => {
    const optDir = join(dir, 'opt');
    const installAs = join(optDir, 'bin', 'toxiproxy-server');
    const probe = fakeProbe({ isRoot: true, commands: ['openssl'], gos: [] });
    const calls: Array<{ command: string; args: string[]; env?: NodeJS.ProcessEnv }> = [];
    const toolchainDir = join(dir, 'modcache', 'golang.org', 'toolchain@v0.0.1-go1.25.14');
    const run: CommandRunner = async (command, args, options) => {
      calls.push({ command, args, env: options?.env });
      if (command === 'apt-get' && args.includes('install')) {
        for (const p of args.filter((a) => !a.startsWith('-') && a !== 'install' && !a.includes('=')))
          probe.commands.add(p === 'coturn' ? 'turnserver' : p);
        probe.gos.push({ path: '/usr/bin/go', version: '1.19.8' }); // what golang-go brings
      }
      if (args[0] === 'mod') {
        // a toolchain module as the proxy serves it: files without execute bits
        await mkdir(join(toolchainDir, 'bin'), { recursive: true });
        await mkdir(join(toolchainDir, 'pkg', 'tool', 'linux_amd64'), { recursive: true });
        await writeFile(join(toolchainDir, 'bin', 'go'), '', { mode: 0o444 });
        await writeFile(join(toolchainDir, 'pkg', 'tool', 'linux_amd64', 'compile'), '', { mode: 0o444 });
        probe.gos.unshift({ path: join(optDir, 'go', 'bin', 'go'), version: '1.25.14' });
        return JSON.stringify({ Dir: toolchainDir });
      }
      if (args[0] === 'install') {
        await writeFile(join(options!.env!.GOBIN!, 'server'), '#!/bin/sh\n');
        probe.files.add(installAs); // the fake machine's view; the real copy is checked below
      }
      return '';
    };
    const progress: string[] = [];
    const result = await installMissing({
      probe,
      tools: tools(installAs),
      run,
      optDir,
      onProgress: (s) => progress.push(`${s.phase}: ${s.detail}`),
    });

    expect(result.installed).toEqual(['socat', 'coturn', 'go', 'toxiproxy']);
    expect(result.report.ok).toBe(true);
    expect(calls.map((c) => `${c.command} ${c.args.join(' ')}`)).toEqual([
      'apt-get -o DPkg::Lock::Timeout=300 update -qq',
      'apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends socat coturn golang-go',
      '/usr/bin/go mod download -json golang.org/toolchain@v0.0.1-go1.25.14.linux-amd64',
      `${join(optDir, 'go', 'bin', 'go')} install github.com/Shopify/toxiproxy/v2/cmd/server@v2.12.0`,
    ]);
    expect(calls[1]!.env!.DEBIAN_FRONTEND).toBe('noninteractive');
    expect(calls[3]!.env!.GOTOOLCHAIN).toBe('local');
    // the toolchain is linked into place with its execute bits back
    expect((await stat(join(optDir, 'go', 'bin', 'go'))).mode & 0o111).toBe(0o111);
    expect((await stat(join(toolchainDir, 'pkg', 'tool', 'linux_amd64', 'compile'))).mode & 0o111).toBe(0o111);
    expect(readFileSync(installAs, 'utf8')).toBe('#!/bin/sh\n');
    expect((await stat(installAs)).mode & 0o777).toBe(0o755);
    expect(progress).toContain('apt: updating package lists');
    expect(progress.some((p) => p.startsWith('go: building toxiproxy'))).toBe(true);
  });

  it('as root with no registry reachable: stops at the failing step with the exact commands to run', async () => {
    const probe = fakeProbe({ isRoot: true, commands: ['openssl'], gos: [] });
    const installAs = join(dir, 'offline', 'toxiproxy-server');
    const calls: string[] = [];
    const err = await installMissing({
      probe,
      tools: tools(installAs),
      optDir: join(dir, 'offline'),
      run: async (c, a) => {
        calls.push(`${c} ${a.join(' ')}`);
        throw new Error(`${c} failed:\nE: Failed to fetch http://deb.debian.org/debian/dists/bookworm/InRelease`);
      },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InstallBlockedError);
    expect(calls).toEqual(['apt-get -o DPkg::Lock::Timeout=300 update -qq']);
    expect((err as InstallBlockedError).commands).toEqual([
      'apt-get update && apt-get install -y --no-install-recommends socat coturn golang-go',
      expect.stringMatching(/^go mod download -json golang\.org\/toolchain@v0\.0\.1-go1\.25\.14\.linux-\w+ /),
      `GOTOOLCHAIN=local GOBIN=/tmp/mclab-gobin go install github.com/Shopify/toxiproxy/v2/cmd/server@v2.12.0 && install -D -m 755 /tmp/mclab-gobin/server ${installAs}`,
      'pnpm lab up',
    ]);
    expect((err as Error).message).toContain('Failed to fetch');
    expect(existsSync(installAs)).toBe(false);
  });

  it('reports a tool still missing after its install ran', async () => {
    const probe = fakeProbe({
      isRoot: true,
      commands: ['openssl', 'turnserver'],
      gos: [{ path: '/usr/local/go/bin/go', version: '1.26.8' }],
    });
    const installAs = join(dir, 'never', 'toxiproxy-server');
    const err = await installMissing({
      probe,
      tools: tools(installAs).filter((t) => t.id !== 'toxiproxy'),
      run: async () => '',
    }).catch((e: unknown) => e);
    expect(String((err as Error).message)).toContain('still missing: socat');
    expect(existsSync(installAs)).toBe(false);
  });
});
