import { type CliContext, progressLine } from './context.ts';

/** `lab images [--force]`: builds the docker driver's images when their inputs changed, then a table of both. */
export async function images(ctx: CliContext, options: { force: boolean }): Promise<number> {
  // loaded here, so the other commands start without the docker package
  const { ensureLabImages, formatImagesTable } = await import('@multiclaw-lab/docker/images');
  const built = await ensureLabImages({ force: options.force, onProgress: (line) => progressLine(ctx, 'images', line) });
  ctx.stdout(formatImagesTable(built));
  return 0;
}
