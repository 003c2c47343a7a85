/**
 * The few things the image builder asks the Docker daemon, through the docker command (the
 * same client a person would use to look afterwards).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { docker as runDocker } from '../exec.ts';
import { NoDockerError } from './errors.ts';
import { IMAGE_LABEL } from './recipe.ts';

const run = promisify(execFile);

/** stdout of a docker command; one that fails throws with its stderr */
export async function docker(args: string[]): Promise<string> {
  const r = await runDocker(args);
  if (r.code !== 0) throw Object.assign(new Error(`docker ${args.join(' ')} failed: ${r.stderr.trim()}`), { stderr: r.stderr });
  return r.stdout;
}

/** Throws NoDockerError unless a daemon answers. */
export async function requireDocker(): Promise<void> {
  try {
    await run('docker', ['info', '--format', '{{.ServerVersion}}'], { timeout: 15_000 });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    throw new NoDockerError(e.code === 'ENOENT' ? 'there is no docker command' : e.stderr?.trim() || e.message, err);
  }
}

export interface ImageFacts {
  id: string;
  sizeBytes: number;
}

/** The image under this tag, or undefined when there is none. */
export async function inspectImage(tag: string): Promise<ImageFacts | undefined> {
  try {
    const out = await docker(['image', 'inspect', '--format', '{{.Id}} {{.Size}}', tag]);
    const [id, size] = out.trim().split(' ');
    return { id: id!, sizeBytes: Number(size) };
  } catch {
    return undefined;
  }
}

export interface LabImage {
  /** full image id (sha256:…) */
  id: string;
  /** repository:tag, or undefined for an image that lost its tag to a rebuild */
  tag: string | undefined;
}

/** Every image labelled as this kind of lab image (base or host), tagged or not. */
export async function listLabImages(kind: 'base' | 'host'): Promise<LabImage[]> {
  const out = await docker([
    'image',
    'ls',
    '--no-trunc',
    '--filter',
    `label=${IMAGE_LABEL}=${kind}`,
    '--format',
    '{{.ID}} {{.Repository}}:{{.Tag}}',
  ]);
  return out
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [id, tag] = line.split(' ');
      return { id: id!, tag: tag === '<none>:<none>' ? undefined : tag };
    });
}

/** The image ids every container (running or not) was made from. */
export async function imagesInUse(): Promise<Set<string>> {
  const ids = (await docker(['ps', '-aq', '--no-trunc'])).split('\n').filter(Boolean);
  if (ids.length === 0) return new Set();
  return new Set((await docker(['inspect', '--format', '{{.Image}}', ...ids])).split('\n').filter(Boolean));
}
