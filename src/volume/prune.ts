import { selectRetained, type RetentionPolicy } from '../core/retention.js'
import type { SnapshotStore } from './snapshot-store.js'

/**
 * Applies the retention policy to one volume's snapshots: deletes every snapshot that
 * selectRetained does not keep. Never deleted: the head, stashed snapshots, and `protectedIds`
 * (pass the newest snapshot shared with each peer and any snapshot checked out). Returns the
 * deleted ids. Run collectGarbage afterwards to free their chunks.
 */
export async function pruneSnapshots(
  store: SnapshotStore,
  opts: { now?: number; protectedIds?: Iterable<string>; policy?: Partial<RetentionPolicy> } = {}
): Promise<string[]> {
  await store.open()
  const nodes = store.list()
  const keep = selectRetained(nodes, opts.now ?? Date.now(), [...(opts.protectedIds ?? []), ...store.stashedIds()], opts.policy)
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
