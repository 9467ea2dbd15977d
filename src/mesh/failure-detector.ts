import { every, type Clock, type TimerHandle } from '../core/clock.js'
import { suspicionTimeoutMs } from '../core/failure-timing.js'
import type { Transport } from '../core/transport.js'
import type { MemberStatus, NodeId } from '../core/types.js'
import { encodeMesh, type MeshMessage } from '../protocol/mesh-messages.js'

export const PING_INTERVAL_MS = 500
export const ACK_TIMEOUT_MS = 400
export const INDIRECT_TIMEOUT_MS = 400
export const INDIRECT_CHECKS = 3
export const SUSPICION_BASE_MS = 1000
/** A timer that fires this much late means our own loop stalled: judge nobody for that round. */
export const LAG_TOLERANCE_MS = 200
const RTT_WEIGHT = 0.2

export interface FailureDetectorOptions {
  pingIntervalMs?: number
  ackTimeoutMs?: number
  indirectTimeoutMs?: number
  indirectChecks?: number
  suspicionBaseMs?: number
}

/** What the detector needs to know of, and tell, the member table. */
export interface DetectorHooks {
  status(id: NodeId): MemberStatus | null
  incarnation(id: NodeId): number
  memberCount(): number
  /** Called once per probe failure; the mesh turns it into a gossiped suspect claim. */
  suspect(id: NodeId, incarnation: number): void
  declareDead(id: NodeId, incarnation: number): void
}

interface Watch {
  probing: 'no' | 'direct' | 'indirect'
  probeStarted: number
  probeSeq: number
  timer: TimerHandle | null
  lastHeard: number
  rttMs: number | null
}

/**
 * SWIM-style failure detection over whatever sessions the transport has: every watched peer is
 * pinged each interval; a missed ack triggers indirect pings through up to three other peers;
 * only when those fail too is the peer suspected. Suspicion is gossiped, so the suspect can
 * refute it; a suspicion that outlives its timeout becomes death.
 */
export class FailureDetector {
  private readonly watches = new Map<NodeId, Watch>()
  private readonly suspicions = new Map<NodeId, { incarnation: number; timer: TimerHandle }>()
  /** Ping-reqs we are relaying: our probe seq → who asked, with their seq. */
  private readonly relays = new Map<number, { requester: NodeId; seq: number; target: NodeId }>()
  private readonly waitingIndirect = new Map<number, NodeId>()
  private seq = 1
  private ticker: TimerHandle | null = null
  private lastTick = 0
  private readonly o: Required<FailureDetectorOptions>

  constructor(
    private readonly transport: Transport,
    private readonly clock: Clock,
    private readonly hooks: DetectorHooks,
    opts: FailureDetectorOptions = {}
  ) {
    this.o = {
      pingIntervalMs: opts.pingIntervalMs ?? PING_INTERVAL_MS,
      ackTimeoutMs: opts.ackTimeoutMs ?? ACK_TIMEOUT_MS,
      indirectTimeoutMs: opts.indirectTimeoutMs ?? INDIRECT_TIMEOUT_MS,
      indirectChecks: opts.indirectChecks ?? INDIRECT_CHECKS,
      suspicionBaseMs: opts.suspicionBaseMs ?? SUSPICION_BASE_MS
    }
  }

  start(): void {
    this.lastTick = this.clock.now()
    this.ticker ??= every(this.clock, this.o.pingIntervalMs, () => this.tick())
  }

  stop(): void {
    this.ticker?.cancel()
    this.ticker = null
    for (const w of this.watches.values()) w.timer?.cancel()
    for (const s of this.suspicions.values()) s.timer.cancel()
    this.watches.clear()
    this.suspicions.clear()
  }

  rttMs(id: NodeId): number | null {
    return this.watches.get(id)?.rttMs ?? null
  }

  /** Watch a peer from now on (a session opened, or we learned of it). */
  watch(id: NodeId): void {
    if (!this.watches.has(id)) {
      this.watches.set(id, { probing: 'no', probeStarted: 0, probeSeq: 0, timer: null, lastHeard: this.clock.now(), rttMs: null })
    }
  }

  unwatch(id: NodeId): void {
    this.watches.get(id)?.timer?.cancel()
    this.watches.delete(id)
    this.clearSuspicion(id)
  }

  /** True when a frame came straight from `id` within the last `ms`. */
  heardWithin(id: NodeId, ms: number): boolean {
    const w = this.watches.get(id)
    return w !== undefined && w.lastHeard > 0 && this.clock.now() - w.lastHeard <= ms
  }

  /** Any frame from a peer is evidence that it is alive. */
  heard(id: NodeId): void {
    const w = this.watches.get(id)
    if (w !== undefined) w.lastHeard = this.clock.now()
  }

  /** A suspect claim about `id` at `incarnation` is now in force: start its clock. */
  suspicionStarted(id: NodeId, incarnation: number): void {
    const s = this.suspicions.get(id)
    if (s !== undefined && s.incarnation >= incarnation) return
    s?.timer.cancel()
    const timeout = suspicionTimeoutMs(this.o.suspicionBaseMs, this.hooks.memberCount())
    const timer = this.clock.setTimeout(() => {
      this.suspicions.delete(id)
      if (this.hooks.status(id) === 'suspect' && this.hooks.incarnation(id) <= incarnation) this.hooks.declareDead(id, incarnation)
    }, timeout)
    this.suspicions.set(id, { incarnation, timer })
  }

  clearSuspicion(id: NodeId): void {
    this.suspicions.get(id)?.timer.cancel()
    this.suspicions.delete(id)
  }

  receive(from: NodeId, m: MeshMessage): void {
    this.heard(from)
    switch (m.type) {
      case 'ping':
        this.send(from, { type: 'ack', seq: m.seq })
        return
      case 'ack':
        return this.onAck(from, m.seq)
      case 'pingReq': {
        if (!this.transport.isConnected(m.target) || m.target === this.transport.localId) return
        const seq = this.seq++
        this.relays.set(seq, { requester: from, seq: m.seq, target: m.target })
        this.clock.setTimeout(() => this.relays.delete(seq), this.o.indirectTimeoutMs * 2)
        this.send(m.target, { type: 'ping', seq })
        return
      }
      case 'indirectAck': {
        const target = this.waitingIndirect.get(m.seq)
        if (target !== m.target) return
        this.waitingIndirect.delete(m.seq)
        this.probeSucceeded(target)
        return
      }
      default:
        return
    }
  }

  private onAck(from: NodeId, seq: number): void {
    const relay = this.relays.get(seq)
    if (relay !== undefined) {
      this.relays.delete(seq)
      if (relay.target === from) this.send(relay.requester, { type: 'indirectAck', seq: relay.seq, target: from })
      return
    }
    const w = this.watches.get(from)
    if (w === undefined || w.probeSeq !== seq) return
    const rtt = this.clock.now() - w.probeStarted
    w.rttMs = w.rttMs === null ? rtt : w.rttMs * (1 - RTT_WEIGHT) + rtt * RTT_WEIGHT
    this.probeSucceeded(from)
  }

  private probeSucceeded(id: NodeId): void {
    const w = this.watches.get(id)
    if (w === undefined) return
    w.timer?.cancel()
    w.timer = null
    w.probing = 'no'
  }

  private tick(): void {
    const now = this.clock.now()
    const late = now - this.lastTick - this.o.pingIntervalMs
    this.lastTick = now
    if (late > LAG_TOLERANCE_MS) {
      // Our own process stalled; the silence we saw is ours, not theirs. Start afresh.
      for (const w of this.watches.values()) {
        w.timer?.cancel()
        w.timer = null
        w.probing = 'no'
        w.lastHeard = now
      }
      return
    }
    for (const [id, w] of this.watches) {
      const status = this.hooks.status(id)
      // A dead member still connected keeps its watch: if it talks, it was wrongly buried and
      // `heardWithin` lets others hold off until it refutes.
      if (status === 'left' || (status === 'dead' && !this.transport.isConnected(id))) {
        this.unwatch(id)
        continue
      }
      if (status === 'dead') continue
      if (w.probing !== 'no') continue
      this.startProbe(id, w)
    }
  }

  private startProbe(id: NodeId, w: Watch): void {
    w.probeStarted = this.clock.now()
    if (!this.transport.isConnected(id)) return this.startIndirect(id, w)
    w.probing = 'direct'
    w.probeSeq = this.seq++
    this.send(id, { type: 'ping', seq: w.probeSeq })
    w.timer = this.clock.setTimeout(() => {
      w.timer = null
      if (w.lastHeard >= w.probeStarted) return this.probeSucceeded(id)
      this.startIndirect(id, w)
    }, this.o.ackTimeoutMs)
  }

  private startIndirect(id: NodeId, w: Watch): void {
    w.probing = 'indirect'
    const helpers = this.transport.connected().filter((p) => p !== id && this.hooks.status(p) === 'alive')
    shuffle(helpers)
    for (const helper of helpers.slice(0, this.o.indirectChecks)) {
      const seq = this.seq++
      this.waitingIndirect.set(seq, id)
      this.clock.setTimeout(() => this.waitingIndirect.delete(seq), this.o.indirectTimeoutMs * 2)
      this.send(helper, { type: 'pingReq', seq, target: id })
    }
    if (this.transport.isConnected(id)) this.send(id, { type: 'ping', seq: w.probeSeq })
    w.timer = this.clock.setTimeout(() => {
      w.timer = null
      w.probing = 'no'
      if (w.lastHeard >= w.probeStarted) return
      if (this.clock.now() - this.lastTick > this.o.pingIntervalMs + LAG_TOLERANCE_MS) return
      const status = this.hooks.status(id)
      if (status === 'alive') this.hooks.suspect(id, this.hooks.incarnation(id))
    }, this.o.indirectTimeoutMs)
  }

  private send(peer: NodeId, m: MeshMessage): void {
    this.transport.send(peer, encodeMesh(m))
  }
}

function shuffle<T>(a: T[]): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1))
    ;[a[i], a[j]] = [a[j]!, a[i]!]
  }
}
