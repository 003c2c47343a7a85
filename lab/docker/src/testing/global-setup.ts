import { ensureLabImages } from '../images/index.ts';

/**
 * The docker tier's images, made once before any of its files start: on a fresh machine the base
 * image takes a minute or two to build (longer on a busy one), which no test's own hook should
 * have to wait for. Progress goes to stderr, like `pnpm lab images`.
 */
export default async function setup(): Promise<void> {
  const images = await ensureLabImages({ onProgress: (line) => process.stderr.write(`[docker tier] ${line}\n`) });
  for (const image of [images.base, images.host])
    process.stderr.write(`[docker tier] ${image.name}: ${image.built ? `built in ${image.seconds} s` : 'already built'}\n`);
}
