/**
 * The components bundle carries what the components need and nothing of the development setup:
 * unpacked anywhere, Node loads the cloud, the LLM provider, the gateway, the desktop simulator
 * and the secrets fetcher from it with no install; tests, dev tools, Pulumi and type files stay
 * out; and the same checkout gives the same bytes.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BundleProgress, type BundleResult, buildBundle } from './bundle.ts';

const run = promisify(execFile);
let dir: string;
let result: BundleResult;
let entries: string[];
const progress: BundleProgress[] = [];

describe('buildBundle', () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mcl-bundle-'));
    result = await buildBundle(join(dir, 'components.tar.gz'), { onProgress: (p) => progress.push(p) });
    process.stderr.write(
      `[bundle test] ${result.bytes} bytes (${result.unpackedBytes} unpacked), ${result.entries} entries, ${result.packages} packages, ${result.seconds} s\n`,
    );
    entries = (await run('tar', ['-tzf', result.file], { maxBuffer: 64 * 1024 * 1024 })).stdout.trim().split('\n');
  });

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('reports its progress through every phase', () => {
    expect(new Set(progress.map((p) => p.phase))).toEqual(new Set(['resolve', 'archive', 'done']));
    expect(progress.some((p) => p.phase === 'resolve' && p.message === '@multiclaw-lab/cloud')).toBe(true);
    expect(result.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('carries the components, their migrations and the native module for the instances', () => {
    for (const path of [
      'lab/cloud/src/main.ts',
      'lab/cloud/migrations/001_initial.sql',
      'lab/external/src/main-llm.ts',
      'lab/gateway/src/main.ts',
      'lab/desktop-sim/src/cli.ts',
      'deploy/src/startup/runtime/fetch-secrets.ts',
      'lab/cloud/node_modules/pg',
    ])
      expect(entries, path).toContain(path);
    expect(entries.some((e) => /bcrypt\/prebuilds\/linux-x64\//.test(e))).toBe(true);
  });

  it('leaves out tests, dev tools, Pulumi, type declarations and other platforms', () => {
    const unwanted = [
      /\.test\.ts$/,
      /\.d\.ts$/,
      /\/vitest\//,
      /\/typescript\//,
      /@pulumi/,
      /\/esbuild\//,
      /prebuilds\/(darwin|win32)/,
    ];
    for (const pattern of unwanted) expect(entries.filter((e) => pattern.test(e)).slice(0, 3), String(pattern)).toEqual([]);
  });

  it('runs where it is unpacked: every entry module loads with no install', async () => {
    const unpacked = join(dir, 'unpacked');
    await mkdir(unpacked);
    await run('tar', ['-xzf', result.file, '-C', unpacked]);
    const modules = [
      'lab/cloud/src/server.ts',
      'lab/external/src/llm/provider.ts',
      'lab/gateway/src/gateway.ts',
      'lab/desktop-sim/src/app.ts',
      'lab/infra/src/index.ts',
    ];
    const script = `${modules.map((m) => `await import(${JSON.stringify(join(unpacked, m))});`).join('')}
      const { createRequire } = await import('node:module');
      const require = createRequire(${JSON.stringify(join(unpacked, 'lab/cloud/src/main.ts'))});
      await require('bcrypt').hash('x', 4);
      await import(${JSON.stringify(join(unpacked, 'deploy/node_modules/@aws-sdk/client-secrets-manager/dist-cjs/index.js'))});
      console.log('loaded');`;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: unpacked });
    expect(stdout.trim()).toBe('loaded');
  });

  it('gives the same bytes for the same checkout', async () => {
    const again = await buildBundle(join(dir, 'again.tar.gz'));
    expect(again.sha256).toBe(result.sha256);
  });
});
