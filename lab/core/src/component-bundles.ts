import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Plugin } from 'esbuild';

/**
 * Prebuilt components. Started from source, a component process spends half a second or more of
 * CPU stripping types and resolving and loading a few hundred modules before it is ready; a lab
 * starts a dozen of them at once on a small machine, and the scenarios restart them often. So
 * `lab up` bundles the components' entries (esbuild: one ES module each, shared code and what
 * they load only on demand in chunks beside them) under the lab's cache folder, in a folder named
 * by a hash of everything that goes into them (the components' sources, the lockfile, the
 * patches, Node's version, this file), and the harness starts `node <bundle>` while that hash
 * still matches the sources: about half the start-up CPU. The launcher beside each bundle turns
 * on Node's compile cache, so the bundle is not compiled afresh every time either. When no bundle
 * matches (sources edited since, esbuild missing, the build failed, or LAB_COMPONENTS=source),
 * components start from their source entry as before.
 */

const REPO_ROOT = join(import.meta.dirname, '..', '..', '..');
/** the workspace packages whose code ends up in the component bundles (components share only kit and protocol) */
const BUNDLED_PACKAGES = ['cloud', 'gateway', 'desktop-sim', 'external', 'kit', 'protocol'];
/** native addons stay outside the bundles and are loaded from where pnpm installed them */
const NATIVE = ['bcrypt'];
/** optional dependencies that are not installed; their packages load without them */
const ABSENT_OPTIONAL = ['pg-native'];

/** Where the lab keeps what it can make again (bundles, compile cache, the PostgreSQL template). */
export function labCacheDir(): string {
  return process.env.LAB_CACHE_DIR ?? join(REPO_ROOT, 'node_modules', '.cache', 'multiclaw-lab');
}

const bundlesRoot = () => join(labCacheDir(), 'components');
const fromSource = () => process.env.LAB_COMPONENTS === 'source';

function listSources(dir: string, out: string[]): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) listSources(path, out);
    else if (/\.[cm]?[jt]s$/.test(entry.name) && !/\.test\.[cm]?[jt]s$/.test(entry.name)) out.push(path);
  }
  return out;
}

/** A hash of every input of the bundles: the bundles in the folder of this name are current. */
function computeSourceHash(): string {
  const hash = createHash('sha256');
  hash.update(`${process.version}\0${REPO_ROOT}\0`);
  const patches = join(REPO_ROOT, 'patches');
  const files = [
    join(REPO_ROOT, 'pnpm-lock.yaml'),
    import.meta.filename,
    ...(existsSync(patches)
      ? readdirSync(patches)
          .sort()
          .map((f) => join(patches, f))
      : []),
  ];
  for (const pkg of BUNDLED_PACKAGES) {
    files.push(join(REPO_ROOT, 'lab', pkg, 'package.json'));
    listSources(join(REPO_ROOT, 'lab', pkg, 'src'), files);
  }
  for (const file of files) hash.update(`${file}\0`).update(readFileSync(file)).update('\0');
  return hash.digest('hex').slice(0, 20);
}

let currentHash: string | undefined;
const sourceHash = () => {
  currentHash ??= computeSourceHash();
  return currentHash;
};

/** The bundle that starts `name`, when one was built from the sources as they are now. */
export function bundledEntry(name: string): string | undefined {
  if (fromSource()) return undefined;
  try {
    const file = join(bundlesRoot(), sourceHash(), `${name}.mjs`);
    return existsSync(file) ? file : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Rewrites what a module learns about its own location (import.meta.url and friends in ES
 * modules, __dirname and __filename in CommonJS) into the original file's path, so files read
 * next to the source (the cloud's migrations, the errors page) are found from inside a bundle;
 * `import.meta.main` stays true only in the entry module, as when it runs from source.
 */
function ownLocation(entries: Set<string>): Plugin {
  return {
    name: 'own-location',
    setup(build) {
      build.onResolve({ filter: new RegExp(`^(${NATIVE.join('|')})$`) }, (args) => ({
        path: createRequire(join(args.resolveDir, 'x.js')).resolve(args.path),
        external: true,
      }));
      build.onLoad({ filter: /\.[cm]?[jt]s$/ }, async (args) => {
        const text = await readFile(args.path, 'utf8');
        if (!/import\.meta|__dirname|__filename/.test(text)) return undefined;
        const literal = (s: string) => JSON.stringify(s);
        const contents = text
          .replaceAll('import.meta.url', literal(pathToFileURL(args.path).href))
          .replaceAll('import.meta.dirname', literal(dirname(args.path)))
          .replaceAll('import.meta.filename', literal(args.path))
          .replaceAll('import.meta.main', entries.has(args.path) ? 'true' : 'false')
          .replace(/(?<![.\w$])__dirname(?![\w$])/g, literal(dirname(args.path)))
          .replace(/(?<![.\w$])__filename(?![\w$])/g, literal(args.path));
        const loader: 'ts' | 'js' = /\.[cm]?ts$/.test(args.path) ? 'ts' : 'js';
        return { contents, loader, resolveDir: dirname(args.path) };
      });
    },
  };
}

/**
 * Makes sure bundles of the given component entries exist for the sources as they are now,
 * building them when not (about 2 s). Never throws: on any problem the components start from
 * source, and `log` says why.
 */
export async function ensureComponentBundles(
  entries: Record<string, string>,
  log: (message: string) => void = () => undefined,
): Promise<'current' | 'built' | 'source'> {
  if (fromSource()) return 'source';
  currentHash = undefined;
  let hash: string;
  let dir: string;
  try {
    hash = sourceHash();
    dir = join(bundlesRoot(), hash);
  } catch (err) {
    log(`components start from source: cannot read their sources (${(err as Error).message})`);
    return 'source';
  }
  if (Object.keys(entries).every((name) => existsSync(join(dir, `${name}.mjs`)))) return 'current';
  let esbuild: typeof import('esbuild');
  try {
    esbuild = await import('esbuild');
  } catch {
    log('components start from source: esbuild is not installed (pnpm install)');
    return 'source';
  }
  const tmp = `${dir}.${process.pid}.tmp`;
  const started = performance.now();
  try {
    await rm(tmp, { recursive: true, force: true });
    await mkdir(tmp, { recursive: true });
    await esbuild.build({
      entryPoints: Object.fromEntries(Object.entries(entries).map(([name, file]) => [`${name}.bundle`, file])),
      outdir: tmp,
      outExtension: { '.js': '.mjs' },
      bundle: true,
      // what a component imports only when it needs it (the WebRTC stack) stays in its own file,
      // not read at start
      splitting: true,
      chunkNames: 'chunks/[name]-[hash]',
      platform: 'node',
      format: 'esm',
      target: `node${process.versions.node.split('.')[0]}`,
      // error names and class names show in logs: keep them as in the source
      keepNames: true,
      external: ABSENT_OPTIONAL,
      // CommonJS dependencies require Node's built-ins
      banner: {
        js: "import { createRequire as __labRequire } from 'node:module'; const require = __labRequire(import.meta.url);",
      },
      plugins: [ownLocation(new Set(Object.values(entries)))],
      logLevel: 'silent',
    });
    for (const name of Object.keys(entries)) {
      // the compile cache must be on before the bundle is compiled, hence a launcher; it lives
      // beside the bundles, so it goes when they are pruned
      const launcher = [
        "import { join } from 'node:path';",
        "import { enableCompileCache } from 'node:module';",
        "enableCompileCache(join(import.meta.dirname, 'compile-cache'));",
        `await import('./${name}.bundle.mjs');`,
        '',
      ].join('\n');
      await writeFile(join(tmp, `${name}.mjs`), launcher);
    }
    await writeFile(join(tmp, 'inputs.json'), `${JSON.stringify({ builtAt: new Date().toISOString(), entries }, null, 2)}\n`);
    // a source edited while esbuild read the files: this build matches neither version
    if (computeSourceHash() !== hash) throw new Error('the sources changed during the build');
    // another lab up may have finished the same build meanwhile: either copy is the same
    await rename(tmp, dir).catch(async (err: NodeJS.ErrnoException) => {
      if (!existsSync(dir)) throw err;
      await rm(tmp, { recursive: true, force: true });
    });
  } catch (err) {
    await rm(tmp, { recursive: true, force: true }).catch(() => undefined);
    log(`components start from source: bundling failed (${(err as Error).message.split('\n')[0]})`);
    return 'source';
  }
  await pruneBundles(dir);
  log(
    `bundled ${Object.keys(entries).length} components in ${Math.round(performance.now() - started)} ms (their sources changed)`,
  );
  return 'built';
}

/**
 * Removes older builds, except the newest few and any that a running process was started from
 * (a lab that is up restarts its components from the build it started with).
 */
async function pruneBundles(keep: string, newest = 3): Promise<void> {
  const root = bundlesRoot();
  const dirs = await Promise.all(
    (await readdir(root)).map(async (name) => {
      const path = join(root, name);
      return { path, mtimeMs: (await stat(path).catch(() => undefined))?.mtimeMs ?? 0 };
    }),
  );
  // a build in progress elsewhere is a .tmp folder; one an hour old was abandoned (killed)
  const abandoned = dirs.filter((d) => d.path.endsWith('.tmp') && d.mtimeMs < Date.now() - 3_600_000);
  const old = dirs
    .filter((d) => d.path !== keep && !d.path.endsWith('.tmp'))
    .sort((a, b) => b.mtimeMs - a.mtimeMs)
    .slice(newest - 1)
    .concat(abandoned);
  if (old.length === 0) return;
  const running = await runningCommandLines();
  for (const d of old) {
    if (running.some((cmdline) => cmdline.includes(`${d.path}/`))) continue;
    await rm(d.path, { recursive: true, force: true }).catch(() => undefined);
  }
}

/** The command lines of this machine's processes (Linux /proc; none elsewhere). */
async function runningCommandLines(): Promise<string[]> {
  const pids = await readdir('/proc').catch(() => [] as string[]);
  const lines = await Promise.all(
    pids.filter((p) => /^\d+$/.test(p)).map((p) => readFile(`/proc/${p}/cmdline`, 'utf8').catch(() => '')),
  );
  return lines.filter(Boolean);
}
