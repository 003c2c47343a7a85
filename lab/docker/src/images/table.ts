import type { LabImages } from './index.ts';

/** `pnpm lab images`' summary: one row per image, columns aligned. */
export function formatImagesTable(images: LabImages): string {
  const rows = [['image', 'tag', 'result', 'seconds', 'size (MB)']];
  for (const report of [images.base, images.host]) {
    const [repository, tag] = report.name.split(':');
    rows.push([
      repository!,
      tag ?? '',
      report.built ? 'built' : 'cached',
      report.seconds.toFixed(1),
      String(Math.round(report.sizeBytes / 1e6)),
    ]);
  }
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  const line = (row: string[]) =>
    row
      .map((cell, column) => cell.padEnd(widths[column]!))
      .join('  ')
      .trimEnd();
  return `${rows.map(line).join('\n')}\n`;
}
