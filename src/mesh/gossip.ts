import sodium from 'sodium-universal'
import b4a from 'b4a'
import c from 'compact-encoding'
import { every, type Clock, type TimerHandle } from '../core/clock.js'
import { MemberTable, type DigestEntry, type StatusChange } from '../core/member-table.js'
import type { Transport } from '../core/transport.js'
import type { NodeId, NodeRecord, StatusClaim } from '../core/types.js'
import { AppTable, type AppDigestEntry } from '../core/app-table.js'
import type { AppSpec, Placement } from '../core/app-types.js'
import { digestEntry, encodeMesh, type MeshMessage } from '../protocol/mesh-messages.js'
import { appDigestEntry } from '../protocol/app-messages.js'

export const DIGEST_INTERVAL_MS = 1000
/** Updates are batched for this long before they are pushed (0: the next turn of the loop). */
export const PUSH_DELAY_MS = 0
/** A frame carries at most this many records; larger batches are split. */
const MAX_BATCH = 256

export interface GossipOptions {
  digestIntervalMs?: number
  pushDelayMs?: number
}

type Batch = {
  records: Map<NodeId, NodeRecord>
  claims: Map<NodeId, StatusClaim>
  specs: Map<string, AppSpec>
  placements: Map<string, Placement>
}

/** Something new that gossip applied: exactly one field is set. */
export interface FreshItem {
  record?: NodeRecord
  claim?: StatusClaim
  spec?: AppSpec
  placement?: Placement
}

/**
 * Dissemination of the member table: every fresh record or claim is pushed at once to every
 * connected peer except the one it came from (so it floods across the connection graph and
 * reaches nodes that are not directly connected), and a periodic push-pull digest exchange with
 * one random peer repairs whatever was missed.
 */
export class Gossip {
  readonly table = new MemberTable()
  readonly apps = new AppTable()
  private readonly pending = new Map<NodeId, Batch>()
  private flushTimer: TimerHandle | null = null
  private digestTimer: TimerHandle | null = null
  private readonly digestIntervalMs: number
  private readonly pushDelayMs: number
  /** The digest hash of the table as it is; dropped whenever the table changes. */
  private digestCache: Buffer | null = null

  constructor(
    private readonly transport: Transport,
    private readonly clock: Clock,
    private readonly onChange: (change: StatusChange) => void,
    private readonly onFresh: (item: FreshItem) => void,
    opts: GossipOptions = {}
  ) {
    this.digestIntervalMs = opts.digestIntervalMs ?? DIGEST_INTERVAL_MS
    this.pushDelayMs = opts.pushDelayMs ?? PUSH_DELAY_MS
  }

  start(): void {
    this.digestTimer ??= every(this.clock, this.digestIntervalMs, () => this.digestRound())
  }

  stop(): void {
    this.digestTimer?.cancel()
    this.flushTimer?.cancel()
    this.digestTimer = this.flushTimer = null
  }

  /** Applies a local or received record; fresh news is queued for every peer but `from`. */
  applyRecord(r: NodeRecord, from: NodeId | null): boolean {
    const { fresh, change } = this.table.applyRecord(r)
    if (!fresh) return false
    this.digestCache = null
    if (change !== null) this.onChange(change)
    this.onFresh({ record: r })
    this.queue(from, (b) => b.records.set(r.id, r))
    return true
  }

  applyClaim(cl: StatusClaim, from: NodeId | null): boolean {
    const { fresh, change } = this.table.applyClaim(cl)
    if (!fresh) return false
    this.digestCache = null
    if (change !== null) this.onChange(change)
    this.onFresh({ claim: cl })
    this.queue(from, (b) => b.claims.set(cl.id, cl))
    return true
  }

  /** Applies an app spec (last writer wins); fresh news is queued for every peer but `from`. */
  applySpec(sp: AppSpec, from: NodeId | null): boolean {
    if (!this.apps.applySpec(sp)) return false
    this.digestCache = null
    this.onFresh({ spec: sp })
    this.queue(from, (b) => b.specs.set(sp.name, sp))
    return true
  }

  applyPlacement(p: Placement, from: NodeId | null): boolean {
    if (!this.apps.applyPlacement(p)) return false
    this.digestCache = null
    this.onFresh({ placement: p })
    this.queue(from, (b) => b.placements.set(p.app, p))
    return true
  }

  /** Forgets a member entirely (reaping long-gone nodes). */
  forget(id: NodeId): void {
    this.table.remove(id)
    this.digestCache = null
  }

  /** A new session: exchange full digests at once, so a joining node learns everything. */
  peerOpened(peer: NodeId): void {
    this.send(peer, this.fullDigest(true))
  }

  receive(from: NodeId, m: MeshMessage): void {
    switch (m.type) {
      case 'updates':
        for (const r of m.records) this.applyRecord(r, from)
        for (const cl of m.claims) this.applyClaim(cl, from)
        for (const sp of m.specs) this.applySpec(sp, from)
        for (const p of m.placements) this.applyPlacement(p, from)
        return
      case 'digestHash':
        if (!b4a.equals(m.hash, this.digestHash())) {
          this.send(from, this.fullDigest(true))
        }
        return
      case 'digest':
        return this.answerDigest(from, m.entries, m.apps, m.reply)
      default:
        return
    }
  }

  /** Sends any queued updates now (used before a graceful leave). */
  flush(): void {
    this.flushTimer?.cancel()
    this.flushTimer = null
    for (const [peer, b] of this.pending) {
      this.sendBatch(peer, [...b.records.values()], [...b.claims.values()], [...b.specs.values()], [...b.placements.values()])
    }
    this.pending.clear()
  }

  send(peer: NodeId, m: MeshMessage): boolean {
    return this.transport.send(peer, encodeMesh(m))
  }

  private answerDigest(from: NodeId, entries: DigestEntry[], apps: AppDigestEntry[], reply: boolean): void {
    const members = this.table.compare(entries)
    const a = this.apps.compare(apps)
    this.sendBatch(from, members.push.records, members.push.claims, a.specs, a.placements)
    if (reply && (members.peerHasNewer || a.peerHasNewer)) this.send(from, this.fullDigest(false))
  }

  private fullDigest(reply: boolean): MeshMessage {
    return { type: 'digest', reply, entries: this.table.digest(), apps: this.apps.digest() }
  }

  private digestRound(): void {
    const peers = this.transport.connected()
    if (peers.length === 0) return
    const peer = peers[Math.floor(Math.random() * peers.length)]!
    this.send(peer, { type: 'digestHash', hash: this.digestHash() })
  }

  private digestHash(): Buffer {
    if (this.digestCache !== null) return this.digestCache
    const out = b4a.alloc(32)
    sodium.crypto_generichash_batch(out, [c.encode(c.array(digestEntry), this.table.digest()), c.encode(c.array(appDigestEntry), this.apps.digest())])
    return (this.digestCache = out)
  }

  private queue(from: NodeId | null, add: (b: Batch) => void): void {
    for (const peer of this.transport.connected()) {
      if (peer === from) continue
      let b = this.pending.get(peer)
      if (b === undefined) this.pending.set(peer, (b = { records: new Map(), claims: new Map(), specs: new Map(), placements: new Map() }))
      add(b)
    }
    this.flushTimer ??= this.clock.setTimeout(() => this.flush(), this.pushDelayMs)
  }

  private sendBatch(peer: NodeId, records: NodeRecord[], claims: StatusClaim[], specs: AppSpec[], placements: Placement[]): void {
    const n = Math.max(records.length, claims.length, specs.length, placements.length)
    for (let i = 0; i < n; i += MAX_BATCH) {
      const slice = <T>(a: T[]) => a.slice(i, i + MAX_BATCH)
      this.send(peer, { type: 'updates', records: slice(records), claims: slice(claims), specs: slice(specs), placements: slice(placements) })
    }
  }
}
