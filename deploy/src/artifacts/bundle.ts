/**
 * The components bundle: one .tar.gz with what the lab's components need to run on a staging
 * instance, from this checkout. Paths inside are the checkout's own (lab/cloud/src/main.ts,
 * node_modules/.pnpm/pg@…/node_modules/pg, …) and pnpm's relative symlinks are kept as links, so
 * Node resolves every import exactly as it does here, with no install step on the instance.
 *
 * Kept small by taking only what runs: the production dependency closure of the named packages
 * (never devDependencies), workspace sources without their tests, and in node_modules no type
 * declarations, source maps, docs, tests, native build leftovers or other platforms' prebuilt
 * binaries. Deterministic: sorted entries, fixed owners and times, gzip without a timestamp, so
 * the same checkout gives the same bytes (and the same SHA-256, which the start-up script checks).
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { lstat, mkdir, readdir, readFile, readlink, realpath } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { archiveFailed, linkOutsideRoot, missingDependency } from './errors.ts';

/** A workspace package to carry, with (optionally) only some of its dependencies and folders. */
export interface BundlePackage {
  /** the package folder, relative to the checkout */
  dir: string;
  /** only these production dependencies (default: all of `dependencies`) */
  dependencies?: readonly string[];
  /** only these paths inside the package, besides package.json (default: the whole package) */
  include?: readonly string[];
}

/**
 * What the instances run: the cloud, the LLM provider, the gateway, the desktop simulator, the
 * relay's helpers (their workspace dependencies come along through their links), and from deploy
 * only the start-up runtime scripts and the Secrets Manager client they use (not Pulumi).
 */
export const COMPONENT_PACKAGES: readonly BundlePackage[] = [
  { dir: 'lab/cloud' },
  { dir: 'lab/external' },
  { dir: 'lab/gateway' },
  { dir: 'lab/desktop-sim' },
  { dir: 'lab/infra' },
  { dir: 'deploy', dependencies: ['@aws-sdk/client-secrets-manager'], include: ['src/startup/runtime'] },
];

export interface BundleProgress {
  phase: 'resolve' | 'archive' | 'done';
  message: string;
  /** entries found so far (resolve) or in the archive */
  files?: number;
  /** compressed bytes written so far */
  bytes?: number;
}

export interface BundleOptions {
  /** the checkout (default: the one this file is in) */
  root?: string;
  packages?: readonly BundlePackage[];
  /** the platform whose prebuilt native binaries are kept (default linux-x64, the staging instances) */
  platform?: string;
  onProgress?: (progress: BundleProgress) => void;
}

export interface BundleResult {
  file: string;
  sha256: string;
  /** size of the .tar.gz */
  bytes: number;
  /** size of the files inside, uncompressed */
  unpackedBytes: number;
  /** regular files and symlinks inside */
  entries: number;
  /** packages carried (workspace and dependencies) */
  packages: number;
  seconds: number;
}

const DEFAULT_ROOT = resolve(dirname(new URL(import.meta.url).pathname), '../../..');

/** Folders never carried from a dependency: they hold no code a component loads. */
const DEPENDENCY_SKIP_DIRS = new Set([
  'test',
  'tests',
  '__tests__',
  'docs',
  'doc',
  'example',
  'examples',
  'benchmark',
  'benchmarks',
  '.github',
  'obj.target',
  '.deps',
  'coverage',
]);
/** Files never carried from a dependency: types, maps, docs, TypeScript sources (Node does not strip types under node_modules), build leftovers. */
const DEPENDENCY_SKIP_FILE =
  /(\.d\.[cm]?ts|\.[cm]?ts|\.map|\.md|\.markdown|\.o|\.a|\.cc|\.cpp|\.h|\.gyp|\.gypi|Makefile|\.mk|tsconfig\.json|\.tsbuildinfo)$/i;
/** From workspace packages: everything but tests and docs. */
const WORKSPACE_SKIP_DIRS = new Set(['node_modules', 'test', 'coverage']);
const WORKSPACE_SKIP_FILE = /(\.test\.ts|\.d\.ts|\.md)$/;

interface Found {
  /** paths relative to the root: regular files */
  files: Set<string>;
  /** symlinks relative to the root → their (relative) targets */
  links: Map<string, string>;
  packages: number;
  unpackedBytes: number;
}

async function exists(path: string): Promise<boolean> {
  return lstat(path).then(
    () => true,
    () => false,
  );
}

/** Node's own lookup: `<dir>/node_modules/<name>` from the package folder upwards, never above the root. */
async function locate(root: string, fromDir: string, name: string): Promise<string | undefined> {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    if (basename(dir) !== 'node_modules') {
      const candidate = join(dir, 'node_modules', name);
      if (await exists(candidate)) return candidate;
    }
    if (dir === root || dirname(dir) === dir) return undefined;
  }
}

function inside(root: string, path: string): boolean {
  return path === root || path.startsWith(root + sep);
}

async function walk(
  dir: string,
  skipDir: (name: string, path: string) => boolean,
  skipFile: (name: string) => boolean,
  onFile: (path: string) => Promise<void>,
): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true });
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!skipDir(entry.name, path)) await walk(path, skipDir, skipFile, onFile);
    } else if (entry.isFile() && !skipFile(entry.name)) await onFile(path);
  }
}

class Resolver {
  readonly found: Found = { files: new Set(), links: new Map(), packages: 0, unpackedBytes: 0 };
  private readonly seen = new Set<string>();
  private readonly root: string;
  private readonly platform: string;
  private readonly onProgress: (progress: BundleProgress) => void;
  constructor(root: string, platform: string, onProgress: (progress: BundleProgress) => void) {
    this.root = root;
    this.platform = platform;
    this.onProgress = onProgress;
  }

  private async addFile(path: string): Promise<void> {
    const rel = relative(this.root, path);
    if (this.found.files.has(rel)) return;
    this.found.files.add(rel);
    this.found.unpackedBytes += (await lstat(path)).size;
  }

  /** Records every symlink on the way from the root to `path` (pnpm links packages; the bundle keeps the links). */
  private async addLinks(path: string): Promise<void> {
    let current = this.root;
    for (const part of relative(this.root, path).split(sep)) {
      current = join(current, part);
      const stat = await lstat(current);
      if (!stat.isSymbolicLink()) continue;
      const target = await readlink(current);
      const absolute = resolve(dirname(current), target);
      const real = await realpath(current);
      if (!inside(this.root, real) || !inside(this.root, absolute)) throw linkOutsideRoot(relative(this.root, current), target);
      this.found.links.set(relative(this.root, current), isAbsolute(target) ? relative(dirname(current), absolute) : target);
    }
  }

  async addPackage(pkg: BundlePackage): Promise<void> {
    const dir = await realpath(join(this.root, pkg.dir));
    await this.addTree(dir, { only: pkg.dependencies, include: pkg.include });
  }

  private async addTree(dir: string, limits: { only?: readonly string[]; include?: readonly string[] } = {}): Promise<void> {
    if (this.seen.has(dir)) return;
    this.seen.add(dir);
    this.found.packages += 1;
    const manifest = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as {
      name?: string;
      dependencies?: Record<string, string>;
      optionalDependencies?: Record<string, string>;
      peerDependencies?: Record<string, string>;
      devDependencies?: Record<string, string>;
    };
    const workspace = !relative(this.root, dir).split(sep).includes('node_modules');
    await this.addFile(join(dir, 'package.json'));
    for (const start of limits.include ?? ['']) {
      const from = join(dir, start);
      if (workspace)
        await walk(
          from,
          (name) => WORKSPACE_SKIP_DIRS.has(name),
          (name) => WORKSPACE_SKIP_FILE.test(name),
          (path) => this.addFile(path),
        );
      else
        await walk(
          from,
          (name, path) =>
            name === 'node_modules' ||
            DEPENDENCY_SKIP_DIRS.has(name) ||
            // prebuilt native binaries of other platforms (prebuilds/<platform>-<arch>)
            (basename(dirname(path)) === 'prebuilds' && !name.startsWith(this.platform)),
          (name) => DEPENDENCY_SKIP_FILE.test(name) && name !== 'package.json',
          (path) => this.addFile(path),
        );
    }
    this.onProgress({
      phase: 'resolve',
      message: `${manifest.name ?? relative(this.root, dir)}`,
      files: this.found.files.size,
    });
    // workspace devDependencies too: components import some at run time (pki's TLS policy) while
    // their manifests list them as dev; they are small, and a missing one would fail only on the instance
    const workspaceDev = Object.entries(manifest.devDependencies ?? {})
      .filter(([, spec]) => spec.startsWith('workspace:'))
      .map(([name]) => name);
    const required = limits.only ?? [...Object.keys(manifest.dependencies ?? {}), ...(workspace ? workspaceDev : [])];
    const optional = limits.only
      ? []
      : [...Object.keys(manifest.optionalDependencies ?? {}), ...Object.keys(manifest.peerDependencies ?? {})];
    for (const [names, mustExist] of [
      [required, true],
      [optional, false],
    ] as const) {
      for (const name of names) {
        const location = await locate(this.root, dir, name);
        if (!location) {
          if (mustExist) throw missingDependency(name, manifest.name ?? relative(this.root, dir));
          continue;
        }
        await this.addLinks(location);
        await this.addTree(await realpath(location));
      }
    }
  }
}

/** Counts what passes through (for progress and the result), and hashes it. */
function meter(onBytes: (bytes: number) => void): { stream: Transform; digest: () => string } {
  const hash = createHash('sha256');
  let bytes = 0;
  const stream = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      bytes += chunk.length;
      onBytes(bytes);
      callback(null, chunk);
    },
  });
  return { stream, digest: () => hash.digest('hex') };
}

/**
 * Writes the bundle to `outFile` and says what is in it. GNU tar makes the archive from an
 * explicit list (so nothing outside the list slips in); Node gzips it (no timestamp in the header).
 */
export async function buildBundle(outFile: string, options: BundleOptions = {}): Promise<BundleResult> {
  const started = performance.now();
  const root = await realpath(options.root ?? DEFAULT_ROOT);
  const onProgress = options.onProgress ?? (() => {});
  const resolver = new Resolver(root, options.platform ?? 'linux-x64', onProgress);
  for (const pkg of options.packages ?? COMPONENT_PACKAGES) await resolver.addPackage(pkg);
  const { files, links, packages, unpackedBytes } = resolver.found;
  const list = [...files, ...links.keys()].sort();
  onProgress({ phase: 'archive', message: `archiving ${list.length} entries from ${packages} packages`, files: list.length });

  await mkdir(dirname(outFile), { recursive: true });
  const tar = spawn(
    'tar',
    [
      '--create',
      '--file=-',
      `--directory=${root}`,
      '--no-recursion',
      '--null',
      '--files-from=-',
      '--sort=name',
      '--owner=0',
      '--group=0',
      '--numeric-owner',
      '--mtime=@0',
      // readable by every service account, writable by none
      '--mode=a+rX,go-w',
      '--format=gnu',
    ],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  const stderr: Buffer[] = [];
  tar.stderr.on('data', (b: Buffer) => stderr.push(b));
  const exited = new Promise<number | null>((done, fail) => {
    tar.once('error', fail);
    tar.once('close', done);
  });
  tar.stdin.end(list.map((entry) => `${entry}\0`).join(''));
  let lastReport = 0;
  const { stream, digest } = meter((bytes) => {
    // a line per 8 MiB is plenty for a progress display
    if (bytes - lastReport >= 8 * 1024 * 1024) {
      lastReport = bytes;
      onProgress({ phase: 'archive', message: 'compressing', bytes });
    }
  });
  let bytes = 0;
  try {
    await pipeline(tar.stdout, createGzip({ level: 9 }), stream, createWriteStream(outFile));
    const code = await exited;
    if (code !== 0) throw archiveFailed(outFile, `tar exited with ${code}: ${Buffer.concat(stderr).toString().trim()}`);
    bytes = (await lstat(outFile)).size;
  } catch (err) {
    if ((err as { code?: string }).code === 'DEPLOY_BUNDLE_ARCHIVE') throw err;
    throw archiveFailed(outFile, (err as Error).message, err);
  }
  const result: BundleResult = {
    file: outFile,
    sha256: digest(),
    bytes,
    unpackedBytes,
    entries: list.length,
    packages,
    seconds: Math.round((performance.now() - started) / 100) / 10,
  };
  onProgress({ phase: 'done', message: `${outFile}: ${bytes} bytes, ${list.length} entries`, files: list.length, bytes });
  return result;
}
