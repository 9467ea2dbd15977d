import type { Clock } from '../core/clock.js'
import { realClock } from '../core/clock.js'
import type { ShoalError } from '../core/errors.js'
import type { Transport, TransportHandler } from '../core/transport.js'
import type { NodeId } from '../core/types.js'

export interface MemoryNetworkOptions {
  clock?: Clock
  /** One-way delay of every frame, ms (default 1). */
  latencyMs?: number
  /** Extra uniformly random delay, ms. */
  jitterMs?: number
  /** Probability that a frame is lost, 0..1. */
  loss?: number
}

/**
 * An in-memory network of transports for tests and simulations. Sessions are explicit
 * (`connect`), frames are copied and delivered after the configured latency, and a partition
 * silently drops frames between sides, like a cut cable (sessions stay open, as real ones do
 * until their own timeouts).
 */
export class MemoryNetwork {
  readonly clock: Clock
  private readonly endpoints = new Map<NodeId, MemoryTransport>()
  private readonly sides = new Map<NodeId, number>()
  /** Total frames and bytes delivered, for benchmarks. */
  readonly stats = { frames: 0, bytes: 0, dropped: 0 }

  constructor(readonly opts: MemoryNetworkOptions = {}) {
    this.clock = opts.clock ?? realClock
  }

  transport(id: NodeId): MemoryTransport {
    let t = this.endpoints.get(id)
    if (t === undefined) this.endpoints.set(id, (t = new MemoryTransport(id, this)))
    return t
  }

  connect(a: NodeId, b: NodeId): void {
    const ta = this.transport(a)
    const tb = this.transport(b)
    if (ta.peers.has(b) || a === b) return
    ta.peers.add(b)
    tb.peers.add(a)
    ta.handler?.onOpen(b)
    tb.handler?.onOpen(a)
  }

  disconnect(a: NodeId, b: NodeId): void {
    const ta = this.endpoints.get(a)
    const tb = this.endpoints.get(b)
    if (ta === undefined || tb === undefined || !ta.peers.has(b)) return
    ta.peers.delete(b)
    tb.peers.delete(a)
    ta.handler?.onClose(b)
    tb.handler?.onClose(a)
  }

  /** Silences a node completely, as `kill -9` would: it neither sends nor receives. */
  crash(id: NodeId): void {
    this.sides.set(id, -1)
  }

  /** Splits the network: nodes in different groups (or in none) cannot reach each other. */
  partition(groups: NodeId[][]): void {
    groups.forEach((g, i) => g.forEach((id) => this.sides.set(id, i + 1)))
  }

  heal(): void {
    for (const [id, side] of this.sides) if (side !== -1) this.sides.delete(id)
  }

  canReach(a: NodeId, b: NodeId): boolean {
    const sa = this.sides.get(a) ?? 0
    const sb = this.sides.get(b) ?? 0
    if (sa === -1 || sb === -1) return false
    return sa === sb
  }

  deliver(from: NodeId, to: NodeId, frame: Uint8Array): void {
    const loss = this.opts.loss ?? 0
    if (!this.canReach(from, to) || (loss > 0 && Math.random() < loss)) {
      this.stats.dropped++
      return
    }
    const copy = new Uint8Array(frame)
    const delay = (this.opts.latencyMs ?? 1) + Math.random() * (this.opts.jitterMs ?? 0)
    this.clock.setTimeout(() => {
      const target = this.endpoints.get(to)
      if (target === undefined || !target.peers.has(from) || !this.canReach(from, to)) return
      this.stats.frames++
      this.stats.bytes += copy.byteLength
      target.handler?.onFrame(from, copy)
    }, delay)
  }
}

export class MemoryTransport implements Transport {
  handler: TransportHandler | null = null
  readonly peers = new Set<NodeId>()
  bytesSent = 0
  readonly dropped: Array<{ peer: NodeId; reason: ShoalError }> = []

  constructor(
    readonly localId: NodeId,
    private readonly net: MemoryNetwork
  ) {}

  setHandler(handler: TransportHandler): void {
    this.handler = handler
  }

  connected(): NodeId[] {
    return [...this.peers]
  }

  isConnected(peer: NodeId): boolean {
    return this.peers.has(peer)
  }

  send(peer: NodeId, frame: Uint8Array): boolean {
    if (!this.peers.has(peer)) return false
    this.bytesSent += frame.byteLength
    this.net.deliver(this.localId, peer, frame)
    return true
  }

  drop(peer: NodeId, reason: ShoalError): void {
    this.dropped.push({ peer, reason })
    this.net.disconnect(this.localId, peer)
  }
}
