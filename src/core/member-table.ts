import type { Member, MemberStatus, NodeId, NodeRecord, StatusClaim } from './types.js'

/**
 * The cluster's membership as one node sees it, and the deterministic merge that makes any two
 * nodes that saw the same updates agree. Pure: no timers, no I/O.
 *
 * Ordering (SWIM with incarnations): a record at (incarnation, seq) replaces an older one; a
 * claim replaces another when its incarnation is higher, or equal with a stronger status
 * (suspect < dead < left). A claim only counts while its incarnation is at least the record's:
 * a node refutes a claim by publishing a record with a higher incarnation.
 */
const RANK: Record<StatusClaim['status'], number> = { suspect: 1, dead: 2, left: 3 }

export function recordIsNewer(a: NodeRecord, b: NodeRecord | null): boolean {
  if (b === null) return true
  if (a.incarnation !== b.incarnation) return a.incarnation > b.incarnation
  return a.seq > b.seq
}

export function claimIsStronger(a: StatusClaim, b: StatusClaim | null): boolean {
  if (b === null) return true
  if (a.incarnation !== b.incarnation) return a.incarnation > b.incarnation
  return RANK[a.status] > RANK[b.status]
}

export function statusOf(m: Member): MemberStatus {
  if (m.claim === null) return 'alive'
  if (m.record !== null && m.record.incarnation > m.claim.incarnation) return 'alive'
  return m.claim.status
}

export function claimRank(status: StatusClaim['status']): number {
  return RANK[status]
}

/** Compact summary of what a node holds about one member, exchanged in digests. */
export interface DigestEntry {
  id: NodeId
  incarnation: number
  seq: number
  /** 0 when there is no claim. */
  claimIncarnation: number
  claimRank: number
}

export interface StatusChange {
  id: NodeId
  from: MemberStatus | null
  to: MemberStatus
}

export class MemberTable {
  readonly members = new Map<NodeId, Member>()

  get(id: NodeId): Member | undefined {
    return this.members.get(id)
  }

  status(id: NodeId): MemberStatus | null {
    const m = this.members.get(id)
    return m === undefined ? null : statusOf(m)
  }

  /** Returns the status change it caused (or null) and whether anything was new. */
  applyRecord(r: NodeRecord): { fresh: boolean; change: StatusChange | null } {
    const m = this.members.get(r.id)
    if (m === undefined) {
      const created: Member = { record: r, claim: null }
      this.members.set(r.id, created)
      return { fresh: true, change: { id: r.id, from: null, to: statusOf(created) } }
    }
    if (!recordIsNewer(r, m.record)) return { fresh: false, change: null }
    const before = m.record === null ? null : statusOf(m)
    m.record = r
    return { fresh: true, change: this.changeOf(r.id, before, m) }
  }

  applyClaim(c: StatusClaim): { fresh: boolean; change: StatusChange | null } {
    const m = this.members.get(c.id)
    if (m === undefined) {
      this.members.set(c.id, { record: null, claim: c })
      return { fresh: true, change: null }
    }
    if (!claimIsStronger(c, m.claim)) return { fresh: false, change: null }
    // A claim older than the record is stale news: keep nothing, forward nothing.
    if (m.record !== null && c.incarnation < m.record.incarnation) return { fresh: false, change: null }
    const before = m.record === null ? null : statusOf(m)
    m.claim = c
    return { fresh: true, change: this.changeOf(c.id, before, m) }
  }

  digest(): DigestEntry[] {
    const out: DigestEntry[] = []
    for (const [id, m] of this.members) {
      out.push({
        id,
        incarnation: m.record?.incarnation ?? 0,
        seq: m.record?.seq ?? 0,
        claimIncarnation: m.claim?.incarnation ?? 0,
        claimRank: m.claim === null ? 0 : RANK[m.claim.status]
      })
    }
    out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    return out
  }

  /**
   * Given a peer's digest, what this table holds that the peer lacks (to push) and whether the
   * peer holds something this table lacks (so it should be asked for its side).
   */
  compare(theirs: DigestEntry[]): { push: { records: NodeRecord[]; claims: StatusClaim[] }; peerHasNewer: boolean } {
    const seen = new Set<NodeId>()
    const records: NodeRecord[] = []
    const claims: StatusClaim[] = []
    let peerHasNewer = false
    for (const e of theirs) {
      seen.add(e.id)
      const m = this.members.get(e.id)
      if (m === undefined) {
        peerHasNewer = true
        continue
      }
      const inc = m.record?.incarnation ?? 0
      const seq = m.record?.seq ?? 0
      if (m.record !== null && (inc > e.incarnation || (inc === e.incarnation && seq > e.seq))) records.push(m.record)
      else if (e.incarnation > inc || (e.incarnation === inc && e.seq > seq)) peerHasNewer = true
      const ci = m.claim?.incarnation ?? 0
      const cr = m.claim === null ? 0 : RANK[m.claim.status]
      if (m.claim !== null && (ci > e.claimIncarnation || (ci === e.claimIncarnation && cr > e.claimRank))) claims.push(m.claim)
      else if (e.claimIncarnation > ci || (e.claimIncarnation === ci && e.claimRank > cr)) peerHasNewer = true
    }
    for (const [id, m] of this.members) {
      if (seen.has(id)) continue
      if (m.record !== null) records.push(m.record)
      if (m.claim !== null) claims.push(m.claim)
    }
    return { push: { records, claims }, peerHasNewer }
  }

  /** Forgets a member entirely (used to reap long-dead or long-left nodes). */
  remove(id: NodeId): void {
    this.members.delete(id)
  }

  private changeOf(id: NodeId, before: MemberStatus | null, m: Member): StatusChange | null {
    const after = statusOf(m)
    return before === after ? null : { id, from: before, to: after }
  }
}
