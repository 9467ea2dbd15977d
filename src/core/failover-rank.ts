import type { HeadRef, NodeId } from './types.js'

export interface FailoverCandidate {
  id: NodeId
  /** Newest snapshot of the app this node holds, or null. */
  head: HeadRef | null
  /** Position in the placement's replica list (lower = preferred). */
  preference: number
}

/**
 * Orders live replicas for taking over a dead master: the newest snapshot in the app's lineage
 * first (a later epoch beats any seq of an earlier one), then placement preference, then node
 * id. Every replica computes the same order from the same gossip, so only the top one claims.
 */
export function rankFailover(candidates: FailoverCandidate[]): FailoverCandidate[] {
  return [...candidates].sort((a, b) => {
    const ae = a.head?.epoch ?? -1
    const be = b.head?.epoch ?? -1
    if (ae !== be) return be - ae
    const as = a.head?.seq ?? -1
    const bs = b.head?.seq ?? -1
    if (as !== bs) return bs - as
    if (a.preference !== b.preference) return a.preference - b.preference
    return a.id < b.id ? -1 : a.id > b.id ? 1 : 0
  })
}

/** Under the `majority` policy a candidate may promote only when it sees more than half. */
export function hasMajority(aliveSeen: number, knownMembers: number): boolean {
  return aliveSeen * 2 > knownMembers
}
