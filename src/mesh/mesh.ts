import { EventEmitter } from 'node:events'
import type { Clock } from '../core/clock.js'
import { ShoalError } from '../core/errors.js'
import { statusOf, type StatusChange } from '../core/member-table.js'
import type { Transport } from '../core/transport.js'
import type { MemberStatus, NodeId, NodeRecord, StatusClaim } from '../core/types.js'
import { decodeMesh, type MeshMessage } from '../protocol/mesh-messages.js'
import { MAX_FRAME_BYTES } from '../protocol/version.js'
import { FailureDetector, type FailureDetectorOptions } from './failure-detector.js'
import { Gossip, type FreshItem, type GossipOptions } from './gossip.js'

/** How long a graceful leave waits for its news to go out before the sessions close. */
export const LEAVE_FLUSH_MS = 300
/** Dead and left members are forgotten after this long. */
export const REAP_AFTER_MS = 24 * 60 * 60 * 1000

export interface MeshOptions {
  gossip?: GossipOptions
  detector?: FailureDetectorOptions
  maxFrameBytes?: number
}

export interface MemberView {
  record: NodeRecord
  status: MemberStatus
  rttMs: number | null
  self: boolean
}

export interface MembershipEvent extends StatusChange {
  name: string
  at: number
}

/**
 * One node's view of the cluster: its own record, everyone else's, and their liveness. Frames
 * from the transport are decoded here; a peer that sends a malformed or oversized frame loses
 * its session and is counted, and nothing it sent is applied.
 *
 * Events: 'change' (MembershipEvent), 'record' (NodeRecord, fresh from anyone), 'bad-frame'.
 */
export class Mesh extends EventEmitter {
  readonly gossip: Gossip
  readonly detector: FailureDetector
  readonly stats = { badFrames: 0, framesIn: 0 }
  private self: NodeRecord
  private readonly maxFrameBytes: number
  private started = false
  /** When each member was last seen turning dead or left (clock ms), for reaping. */
  private readonly goneSince = new Map<NodeId, number>()
  private leaving = false

  constructor(
    readonly transport: Transport,
    private readonly clock: Clock,
    self: NodeRecord,
    opts: MeshOptions = {}
  ) {
    super()
    this.self = self
    this.maxFrameBytes = opts.maxFrameBytes ?? MAX_FRAME_BYTES
    this.gossip = new Gossip(
      transport,
      clock,
      (change) => this.onChange(change),
      (item) => this.onFresh(item),
      opts.gossip
    )
    this.detector = new FailureDetector(
      transport,
      clock,
      {
        status: (id) => this.gossip.table.status(id),
        incarnation: (id) => this.gossip.table.get(id)?.record?.incarnation ?? 0,
        memberCount: () => this.gossip.table.members.size,
        suspect: (id, incarnation) => this.gossip.applyClaim({ id, incarnation, status: 'suspect', by: this.id }, null),
        declareDead: (id, incarnation) => this.gossip.applyClaim({ id, incarnation, status: 'dead', by: this.id }, null)
      },
      opts.detector
    )
    transport.setHandler({
      onOpen: (peer) => this.onOpen(peer),
      onClose: () => {},
      onFrame: (peer, frame) => this.onFrame(peer, frame)
    })
  }

  get id(): NodeId {
    return this.self.id
  }

  get record(): NodeRecord {
    return this.self
  }

  start(): void {
    if (this.started) return
    this.started = true
    this.gossip.applyRecord(this.self, null)
    this.gossip.start()
    this.detector.start()
  }

  stop(): void {
    this.gossip.stop()
    this.detector.stop()
  }

  /**
   * After a drill's silence (stop() and a suspended transport): starts again with a higher
   * incarnation, as a restarted node would, so peers take it back alive at once.
   */
  rejoin(): void {
    this.self = { ...this.self, incarnation: this.self.incarnation + 1, seq: 0 }
    this.gossip.applyRecord(this.self, null)
    this.emit('incarnation', this.self.incarnation)
    this.gossip.start()
    this.detector.start()
  }

  /** Publishes a change to this node's own record (a new seq). */
  updateSelf(patch: Partial<Omit<NodeRecord, 'id' | 'incarnation' | 'seq'>>): void {
    this.self = { ...this.self, ...patch, seq: this.self.seq + 1 }
    this.gossip.applyRecord(this.self, null)
  }

  /** Tells every peer this node is leaving, so they report it `left`, never `dead`. */
  async leave(): Promise<void> {
    if (this.leaving) return
    this.leaving = true
    const claim: StatusClaim = { id: this.id, incarnation: this.self.incarnation, status: 'left', by: this.id }
    this.gossip.applyClaim(claim, null)
    for (const peer of this.transport.connected()) this.gossip.send(peer, { type: 'leave', claim })
    this.gossip.flush()
    await new Promise<void>((resolve) => this.clock.setTimeout(resolve, LEAVE_FLUSH_MS))
  }

  /**
   * True when this node itself heard from `id` within `ms`. A death claim gossiped about a peer
   * we hear from directly is stale news the peer is about to refute: act on it only later.
   */
  heardFrom(id: NodeId, ms: number): boolean {
    return this.detector.heardWithin(id, ms) && this.transport.isConnected(id)
  }

  members(): MemberView[] {
    const out: MemberView[] = []
    for (const id of this.gossip.table.members.keys()) {
      const v = this.member(id)
      if (v !== null) out.push(v)
    }
    return out
  }

  member(id: NodeId): MemberView | null {
    const m = this.gossip.table.get(id)
    if (m === undefined || m.record === null) return null
    return { record: m.record, status: statusOf(m), rttMs: id === this.id ? 0 : this.detector.rttMs(id), self: id === this.id }
  }

  /** Forgets members that have been dead or gone for longer than `olderThanMs`. */
  reap(olderThanMs = REAP_AFTER_MS): void {
    const now = this.clock.now()
    for (const [id, since] of this.goneSince) {
      const s = this.gossip.table.status(id)
      if (s !== 'dead' && s !== 'left') this.goneSince.delete(id)
      else if (now - since > olderThanMs) {
        this.goneSince.delete(id)
        this.gossip.forget(id)
      }
    }
  }

  private onOpen(peer: NodeId): void {
    this.detector.watch(peer)
    this.gossip.peerOpened(peer)
  }

  private onFrame(peer: NodeId, frame: Uint8Array): void {
    this.stats.framesIn++
    let m: MeshMessage
    try {
      if (frame.byteLength > this.maxFrameBytes) throw new ShoalError('BAD_FRAME', `frame of ${frame.byteLength} bytes is over the limit`)
      m = decodeMesh(frame)
    } catch (err) {
      this.stats.badFrames++
      const e = ShoalError.is(err) ? err : new ShoalError('BAD_FRAME', String(err))
      this.emit('bad-frame', { peer, error: e })
      this.transport.drop(peer, e)
      return
    }
    switch (m.type) {
      case 'ping':
      case 'ack':
      case 'pingReq':
      case 'indirectAck':
        return this.detector.receive(peer, m)
      case 'leave':
        this.detector.heard(peer)
        if (m.claim.id !== peer || m.claim.status !== 'left') return
        this.gossip.applyClaim(m.claim, peer)
        return
      default:
        this.detector.heard(peer)
        return this.gossip.receive(peer, m)
    }
  }

  private onFresh(item: FreshItem): void {
    if (item.spec !== undefined) this.emit('spec', item.spec)
    if (item.placement !== undefined) this.emit('placement', item.placement)
    if (item.record !== undefined) {
      const r = item.record
      if (r.id === this.id && r !== this.self && !this.leaving) {
        // Someone holds a newer record of ours (from before a restart): outrank it.
        this.self = { ...this.self, incarnation: r.incarnation + 1, seq: 0 }
        this.gossip.applyRecord(this.self, null)
        this.emit('incarnation', this.self.incarnation)
      } else if (r.id !== this.id) {
        if (this.gossip.table.status(r.id) !== 'suspect') this.detector.clearSuspicion(r.id)
      }
      this.emit('record', r)
    }
    const cl = item.claim
    if (cl === undefined) return
    if (cl.id === this.id) {
      if (!this.leaving && cl.incarnation >= this.self.incarnation) this.refute(cl.incarnation)
      return
    }
    if (cl.status === 'suspect') this.detector.suspicionStarted(cl.id, cl.incarnation)
    else this.detector.clearSuspicion(cl.id)
  }

  /** Someone suspects (or buried) us while we are alive: outrank the claim. */
  private refute(claimIncarnation: number): void {
    this.self = { ...this.self, incarnation: claimIncarnation + 1, seq: 0 }
    this.gossip.applyRecord(this.self, null)
    this.emit('incarnation', this.self.incarnation)
  }

  private onChange(change: StatusChange): void {
    if (change.to === 'dead' || change.to === 'left') this.goneSince.set(change.id, this.clock.now())
    const name = this.gossip.table.get(change.id)?.record?.name ?? change.id.slice(0, 8)
    this.emit('change', { ...change, name, at: Date.now() } satisfies MembershipEvent)
  }
}
