import { selectRetained, type RetentionPolicy } from '../core/retention.js'
import type { Snapnode } from '../core/snapnode.js'
import type { SnapshotStore } from './snapshot-store.js'

/**
 * Applies the retention policy to one volume's snapshots: deletes every snapshot that
 * selectRetained does not keep. Never deleted: the head, stashed snapshots, the newest snapshot
 * each holder is known to have (the base of the next incremental to that peer), and
 * `protectedIds` (e.g. a snapshot checked out, or heads learned from gossip). Returns the
 * deleted ids. Run collectGarbage afterwards to free their chunks.
 */
export async function pruneSnapshots(
  store: SnapshotStore,
  opts: { now?: number; protectedIds?: Iterable<string>; policy?: Partial<RetentionPolicy> } = {}
): Promise<string[]> {
  await store.open()
  const nodes = store.list()
  const keep = selectRetained(nodes, opts.now ?? Date.now(), [...(opts.protectedIds ?? []), ...store.stashedIds(), ...newestPerHolder(nodes)], opts.policy)
  const head = store.head()
  if (head) keep.add(head.id)
  const deleted: string[] = []
  for (const n of nodes) {
    if (keep.has(n.id)) continue
    await store.delete(n.id)
    deleted.push(n.id)
  }
  return deleted
}

/** For each holder named in any snapnode, the newest snapshot it holds. */
function newestPerHolder(nodes: Snapnode[]): string[] {
  const best = new Map<string, Snapnode>()
  for (const n of nodes) {
    for (const h of n.holders) {
      const cur = best.get(h)
      if (!cur || n.seq > cur.seq || (n.seq === cur.seq && n.time > cur.time)) best.set(h, n)
    }
  }
  return [...new Set([...best.values()].map((n) => n.id))]
}
