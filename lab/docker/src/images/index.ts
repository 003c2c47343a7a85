/**
 * The docker driver's two images, built on this machine (nothing can be pulled):
 *   multiclaw-lab/base:<hash12>  Debian bookworm and every package a lab host runs (mmdebstrap)
 *   multiclaw-lab/host:<hash12>  the base plus Node 24 and toxiproxy-server (COPY only)
 * The tags are hashes of what goes in, so an image is rebuilt only when an input changed.
 */
import { buildBaseImage } from './base.ts';
import { removeStaleImages } from './cleanup.ts';
import { type ImageFacts, inspectImage, listLabImages, requireDocker } from './docker-cli.ts';
import { ImageBuildError } from './errors.ts';
import { buildHostImage, sha256File } from './host.ts';
import { findExecutable, findToxiproxyServer, nodeForImage } from './locate.ts';
import { BASE_REPOSITORY, baseInputsHash, HOST_REPOSITORY, hostInputsHash, shortHash } from './recipe.ts';
import type { Progress } from './steps.ts';

export { ImageBuildError, NoDockerError, UnsuitableNodeError } from './errors.ts';
export { sha256File } from './host.ts';
export { BASE_PACKAGES, IMAGE_LABEL } from './recipe.ts';
export { formatImagesTable } from './table.ts';

export interface ImageReport {
  /** repository:tag, e.g. multiclaw-lab/base:0123456789ab */
  name: string;
  /** true: built now; false: it was already there */
  built: boolean;
  seconds: number;
  sizeBytes: number;
}

export interface LabImages {
  base: ImageReport;
  host: ImageReport;
}

interface Inputs {
  base: { tag: string; hash: string };
  host: { tag: string; hash: string; node: string; toxiproxy: string };
}

/** What the images are made from on this machine; throws when the Node or toxiproxy-server to copy is unusable. */
async function resolveInputs(): Promise<Inputs> {
  const baseHash = baseInputsHash();
  const baseTag = `${BASE_REPOSITORY}:${shortHash(baseHash)}`;
  const node = await nodeForImage();
  const toxiproxy = await findToxiproxyServer();
  const [nodeSha256, toxiproxySha256] = await Promise.all([sha256File(node), sha256File(toxiproxy)]);
  const hostHash = hostInputsHash({ baseTag, nodeSha256, toxiproxySha256 });
  return {
    base: { tag: baseTag, hash: baseHash },
    host: { tag: `${HOST_REPOSITORY}:${shortHash(hostHash)}`, hash: hostHash, node, toxiproxy },
  };
}

/** The tags the current inputs hash to (whether or not they are built). */
export async function labImageNames(): Promise<{ base: string; host: string }> {
  const inputs = await resolveInputs();
  return { base: inputs.base.tag, host: inputs.host.tag };
}

/** Builds the image unless its tag is there already (or `force`), and says how long it took and how large it is. */
async function ensureImage(
  tag: string,
  force: boolean,
  build: () => Promise<void>,
): Promise<{ report: ImageReport; facts: ImageFacts }> {
  const started = performance.now();
  const before = await inspectImage(tag);
  if (before && !force) return { report: report(tag, false, started, before), facts: before };
  await build();
  const after = await inspectImage(tag);
  // a build that failed quietly leaves the tag missing, or (forced) still on the old image
  if (!after || after.id === before?.id)
    throw new ImageBuildError(tag, 'tagging', 'the build finished but did not tag a new image');
  return { report: report(tag, true, started, after), facts: after };
}

function report(name: string, built: boolean, started: number, facts: ImageFacts): ImageReport {
  return { name, built, seconds: Math.round((performance.now() - started) / 100) / 10, sizeBytes: facts.sizeBytes };
}

/** Makes sure both lab images exist for the current inputs, building what is missing (everything with `force`). */
export async function ensureLabImages(options: { onProgress?: Progress; force?: boolean } = {}): Promise<LabImages> {
  const onProgress = options.onProgress ?? (() => {});
  const force = options.force ?? false;
  const inputs = await resolveInputs();
  // the everyday case: both are there (asked side by side, and no separate question whether a
  // daemon answers: that is asked only when something must be built)
  const started = performance.now();
  if (!force) {
    const [base, host] = await Promise.all([inspectImage(inputs.base.tag), inspectImage(inputs.host.tag)]);
    if (base && host)
      return { base: report(inputs.base.tag, false, started, base), host: report(inputs.host.tag, false, started, host) };
  }
  await requireDocker();
  const base = await ensureImage(inputs.base.tag, force, () => buildBaseImage(inputs.base.tag, inputs.base.hash, onProgress));
  const host = await ensureImage(inputs.host.tag, force, () =>
    buildHostImage(
      inputs.host.tag,
      { baseTag: inputs.base.tag, inputsHash: inputs.host.hash, node: inputs.host.node, toxiproxy: inputs.host.toxiproxy, force },
      onProgress,
    ),
  );
  if (base.report.built || host.report.built) await removeStaleImages({ base: base.facts.id, host: host.facts.id }, onProgress);
  return { base: base.report, host: host.report };
}

/** What keeps the lab images from being ready, for `lab doctor`: empty when both are built and current. */
export async function imageProblems(): Promise<string[]> {
  try {
    await requireDocker();
  } catch (err) {
    return [(err as Error).message];
  }
  const problems: string[] = [];
  const baseTag = `${BASE_REPOSITORY}:${shortHash(baseInputsHash())}`;
  if (!(await inspectImage(baseTag))) {
    problems.push(await missing('base', baseTag));
    if (!(await findExecutable('mmdebstrap'))) problems.push('mmdebstrap is not installed (apt-get install mmdebstrap)');
  }
  try {
    const { host } = await resolveInputs();
    if (!(await inspectImage(host.tag))) problems.push(await missing('host', host.tag));
  } catch (err) {
    problems.push((err as Error).message);
  }
  return problems;
}

async function missing(kind: 'base' | 'host', tag: string): Promise<string> {
  const older = (await listLabImages(kind)).flatMap((image) => image.tag ?? []);
  const stale = older.length > 0 ? ` (stale: ${older.join(', ')})` : '';
  return `${tag} is not built${stale}; pnpm lab images builds it`;
}
