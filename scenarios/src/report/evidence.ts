import { cp, mkdir, readdir, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { RunResults } from '../model.ts';

/** Per evidence path (relative to the run folder): is the file there to link to? */
export type EvidenceState = Map<string, 'present' | 'missing' | 'outside'>;

/** The run folder's evidence subfolder, where `evidenceDir` is copied. */
export const EVIDENCE_SUBDIR = 'evidence';

/** The report's own files; evidence may not take their names. */
export const REPORT_FILES = ['index.html', 'junit.xml', 'results.json', 'summary.txt'] as const;

function insideRunDir(runDir: string, path: string): string | undefined {
  if (isAbsolute(path)) return undefined;
  const target = resolve(runDir, path);
  const rel = relative(runDir, target);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) return undefined;
  if ((REPORT_FILES as readonly string[]).includes(rel)) return undefined;
  return target;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/**
 * Copies evidence into the run folder and finds out what is there. `dir` (the runner's evidence
 * folder) is copied whole to evidence/; `from` maps an evidence entry's path (or, failing that,
 * its name) to one file to copy; entries already in the run folder need no mapping. Nothing here throws for a missing file: a report that
 * says "missing" is worth more at the end of a long run than no report at all.
 */
export interface GatheredEvidence {
  state: EvidenceState;
  /** files under evidence/ that no scenario names (e.g. the database dump), relative to the run folder */
  unlisted: string[];
  warnings: string[];
}

export async function gatherEvidence(
  results: RunResults,
  runDir: string,
  options: { from?: Record<string, string>; dir?: string } = {},
): Promise<GatheredEvidence> {
  const from = options.from ?? {};
  if (options.dir !== undefined && resolve(options.dir) !== join(runDir, EVIDENCE_SUBDIR)) {
    await cp(options.dir, join(runDir, EVIDENCE_SUBDIR), { recursive: true, force: true });
  }
  const state: EvidenceState = new Map();
  const warnings: string[] = [];
  const used = new Set<string>();
  for (const scenario of results.scenarios) {
    for (const e of scenario.evidence) {
      if (state.has(e.path)) continue;
      const key = e.path in from ? e.path : e.name in from ? e.name : undefined;
      if (key !== undefined) used.add(key);
      const target = insideRunDir(runDir, e.path);
      if (!target) {
        state.set(e.path, 'outside');
        warnings.push(
          `${scenario.id}: evidence "${e.name}" has path ${e.path}, which is not a file inside the run folder; give a relative path such as evidence/${e.name}`,
        );
        continue;
      }
      if (key !== undefined) {
        const source = from[key]!;
        if (resolve(source) !== target) {
          try {
            await mkdir(dirname(target), { recursive: true });
            await cp(source, target, { recursive: true, force: true });
          } catch (error) {
            warnings.push(`${scenario.id}: could not copy evidence "${e.name}" from ${source}: ${(error as Error).message}`);
          }
        }
      }
      const present = await exists(target);
      state.set(e.path, present ? 'present' : 'missing');
      if (!present) warnings.push(`${scenario.id}: evidence "${e.name}" (${e.path}) is not in the run folder`);
    }
  }
  for (const key of Object.keys(from)) {
    if (!used.has(key))
      warnings.push(`evidence source "${key}" (${from[key]}) matches no scenario's evidence path or name, so it was not copied`);
  }
  return { state, unlisted: await unlistedEvidence(runDir, state), warnings };
}

async function unlistedEvidence(runDir: string, state: EvidenceState): Promise<string[]> {
  const entries = await readdir(join(runDir, EVIDENCE_SUBDIR), { recursive: true, withFileTypes: true }).catch(() => []);
  return entries
    .filter((d) => d.isFile())
    .map((d) => relative(runDir, join(d.parentPath, d.name)).split(sep).join('/'))
    .filter((path) => !state.has(path))
    .sort();
}
