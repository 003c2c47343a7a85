/**
 * `pnpm lab run --shard i/n`: the selected scenarios split into n parts, so n machines can run the
 * suite side by side. Every machine computes the same split from the same selection: sorted by
 * id and dealt round robin, so the parts differ in size by at most one, neighbours in the suite
 * (such as the WebRTC scenarios S20–S26, which take longest) land on different machines, no
 * scenario is in two parts and together the parts are the selection. Within a part the scenarios
 * keep the suite's order.
 */
export interface Shard {
  /** 1-based: which part this run is */
  index: number;
  /** how many parts */
  total: number;
}

export function checkShard(shard: Shard): void {
  const { index, total } = shard;
  if (!Number.isSafeInteger(total) || total < 1) throw new Error(`a shard count is a whole number of at least 1, not ${total}`);
  if (!Number.isSafeInteger(index) || index < 1 || index > total)
    throw new Error(`shard ${index}/${total}: the shard number runs from 1 to ${total}`);
}

/** The part of `selection` that shard `shard` runs, in the selection's own order. */
export function shardOf<T extends { id: string }>(selection: readonly T[], shard: Shard): T[] {
  checkShard(shard);
  const byId = [...selection].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const mine = new Set(byId.filter((_, k) => k % shard.total === shard.index - 1).map((s) => s.id));
  return selection.filter((s) => mine.has(s.id));
}
