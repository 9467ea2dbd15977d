import sodium from 'sodium-universal'
import b4a from 'b4a'
import c from 'compact-encoding'
import { every, type Clock, type TimerHandle } from '../core/clock.js'
import { MemberTable, type DigestEntry, type StatusChange } from '../core/member-table.js'
import type { Transport } from '../core/transport.js'
import type { NodeId, NodeRecord, StatusClaim } from '../core/types.js'
import { digestEntry, encodeMesh, type MeshMessage } from '../protocol/mesh-messages.js'

export const DIGEST_INTERVAL_MS = 1000
/** Updates are batched for this long before they are pushed (0: the next turn of the loop). */
export const PUSH_DELAY_MS = 0
/** A frame carries at most this many records; larger batches are split. */
const MAX_BATCH = 256

export interface GossipOptions {
  digestIntervalMs?: number
  pushDelayMs?: number
}

type Batch = { records: Map<NodeId, NodeRecord>; claims: Map<NodeId, StatusClaim> }

/**
 * Dissemination of the member table: every fresh record or claim is pushed at once to every
 * connected peer except the one it came from (so it floods across the connection graph and
 * reaches nodes that are not directly connected), and a periodic push-pull digest exchange with
 * one random peer repairs whatever was missed.
 */
export class Gossip {
  readonly table = new MemberTable()
  private readonly pending = new Map<NodeId, Batch>()
  private flushTimer: TimerHandle | null = null
  private digestTimer: TimerHandle | null = null
  private readonly digestIntervalMs: number
  private readonly pushDelayMs: number
  /** Bytes of mesh frames this gossip layer sent, for benchmarks. */
  bytesSent = 0
  /** The digest hash of the table as it is; dropped whenever the table changes. */
  private digestCache: Buffer | null = null

  constructor(
    private readonly transport: Transport,
    private readonly clock: Clock,
    private readonly onChange: (change: StatusChange) => void,
    private readonly onFresh: (item: { record?: NodeRecord; claim?: StatusClaim }) => void,
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

  /** Forgets a member entirely (reaping long-gone nodes). */
  forget(id: NodeId): void {
    this.table.remove(id)
    this.digestCache = null
  }

  /** A new session: exchange full digests at once, so a joining node learns everything. */
  peerOpened(peer: NodeId): void {
    this.send(peer, { type: 'digest', reply: true, entries: this.table.digest() })
  }

  receive(from: NodeId, m: MeshMessage): void {
    switch (m.type) {
      case 'updates':
        for (const r of m.records) this.applyRecord(r, from)
        for (const cl of m.claims) this.applyClaim(cl, from)
        return
      case 'digestHash':
        if (!b4a.equals(m.hash, this.digestHash())) {
          this.send(from, { type: 'digest', reply: true, entries: this.table.digest() })
        }
        return
      case 'digest':
        return this.answerDigest(from, m.entries, m.reply)
      default:
        return
    }
  }

  /** Sends any queued updates now (used before a graceful leave). */
  flush(): void {
    this.flushTimer?.cancel()
    this.flushTimer = null
    for (const [peer, batch] of this.pending) this.sendBatch(peer, [...batch.records.values()], [...batch.claims.values()])
    this.pending.clear()
  }

  send(peer: NodeId, m: MeshMessage): boolean {
    const frame = encodeMesh(m)
    const ok = this.transport.send(peer, frame)
    if (ok) this.bytesSent += frame.byteLength
    return ok
  }

  private answerDigest(from: NodeId, entries: DigestEntry[], reply: boolean): void {
    const { push, peerHasNewer } = this.table.compare(entries)
    this.sendBatch(from, push.records, push.claims)
    if (reply && peerHasNewer) this.send(from, { type: 'digest', reply: false, entries: this.table.digest() })
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
    sodium.crypto_generichash(out, c.encode(c.array(digestEntry), this.table.digest()))
    return (this.digestCache = out)
  }

  private queue(from: NodeId | null, add: (b: Batch) => void): void {
    for (const peer of this.transport.connected()) {
      if (peer === from) continue
      let b = this.pending.get(peer)
      if (b === undefined) this.pending.set(peer, (b = { records: new Map(), claims: new Map() }))
      add(b)
    }
    this.flushTimer ??= this.clock.setTimeout(() => this.flush(), this.pushDelayMs)
  }

  private sendBatch(peer: NodeId, records: NodeRecord[], claims: StatusClaim[]): void {
    for (let i = 0; i < Math.max(records.length, claims.length); i += MAX_BATCH) {
      this.send(peer, { type: 'updates', records: records.slice(i, i + MAX_BATCH), claims: claims.slice(i, i + MAX_BATCH) })
    }
  }
}
