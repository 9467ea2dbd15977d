import type { Snapnode } from './snapnode.js'

/**
 * How a local lineage relates to a remote one, seen from the local side:
 * - same: both heads are the same snapshot (or both lineages are empty);
 * - fast-forward: the local head is an ancestor of the remote head (or local is empty), so the
 *   local side can simply take the remote snapshots;
 * - ahead: the remote head is an ancestor of the local head (or remote is empty);
 * - diverged: both moved on from `common`, the newest snapshot they share;
 * - unrelated: the heads share no ancestor that either side still knows.
 */
export type GraphRelation =
  | { kind: 'same'; common?: string }
  | { kind: 'fast-forward'; common?: string }
  | { kind: 'ahead'; common?: string }
  | { kind: 'diverged'; common: string }
  | { kind: 'unrelated' }

/** A lineage: its head and the snapnodes it knows (parents may be missing after pruning). */
export interface Lineage {
  head: string | null
  nodes: Iterable<Pick<Snapnode, 'id' | 'parent'>>
}

/** The chain from `head` back through known parents, head first. Stops at a missing parent. */
function ancestry(head: string, parents: ReadonlyMap<string, string | null>): string[] {
  const chain: string[] = []
  const seen = new Set<string>()
  let cur: string | null = head
  while (cur !== null && !seen.has(cur)) {
    chain.push(cur)
    seen.add(cur)
    cur = parents.get(cur) ?? null
  }
  return chain
}

/**
 * Compares two lineages. Parent links from both sides are used (ids are content hashes, so a
 * link either side knows is true for both), which lets a side that pruned old snapshots still
 * find the fork point the other side remembers.
 */
export function compareLineages(local: Lineage, remote: Lineage): GraphRelation {
  if (local.head === remote.head) return local.head === null ? { kind: 'same' } : { kind: 'same', common: local.head }
  if (local.head === null) return { kind: 'fast-forward' }
  if (remote.head === null) return { kind: 'ahead' }

  const parents = new Map<string, string | null>()
  for (const side of [local.nodes, remote.nodes]) {
    for (const n of side) if (!parents.has(n.id) || parents.get(n.id) === null) parents.set(n.id, n.parent)
  }
  const localChain = ancestry(local.head, parents)
  const remoteChain = ancestry(remote.head, parents)
  const localSet = new Set(localChain)
  if (localSet.has(remote.head)) return { kind: 'ahead', common: remote.head }
  if (remoteChain.includes(local.head)) return { kind: 'fast-forward', common: local.head }
  for (const id of remoteChain) if (localSet.has(id)) return { kind: 'diverged', common: id }
  return { kind: 'unrelated' }
}
