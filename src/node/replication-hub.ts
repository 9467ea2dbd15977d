import b4a from 'b4a'
import { debuglog } from 'node:util'
import type Protomux from 'protomux'
import { ShoalError } from '../core/errors.js'
import type { Snapnode } from '../core/snapnode.js'
import type { NodeId } from '../core/types.js'
import { ProtomuxLink } from '../mesh/protomux-link.js'
import { CHANNELS } from '../protocol/version.js'
import { ReplicationReceiver } from '../volume/replication-receiver.js'
import { ReplicationSender, type SendResult } from '../volume/replication-sender.js'
import type { ReplicationProgress } from '../volume/transfer-progress.js'
import type { AppVolume } from './app-volume.js'

const debug = debuglog('shoal')

/** After a failed transfer to a replica, wait this long before offering again. */
export const RETRY_MS = 1000

export interface HubHooks {
  self: NodeId
  /** The app's volume on this node, or null when this node should not hold it. */
  volume(app: string): Promise<AppVolume | null>
  /** A snapshot of `app` was committed here (received from `from`). */
  committed(app: string, snapnode: Snapnode): void
  /** Refuses an offer this node should not take (throw a ShoalError). */
  accept(app: string, from: NodeId, snapnode: Snapnode): void
  /**
   * A direct data session with `peer` (see DataLinks) to send over instead of the mesh, or null
   * when there is none to be had: the mesh session carries the transfer then.
   */
  direct?(peer: NodeId): Promise<Protomux | null>
  /** Bytes per second each transfer from this node may send; unlimited when absent or 0. */
  bandwidthLimit?: number
}

/** Which session carries a replica's transfers: a direct data session, or the mesh. */
export type ReplicationVia = 'direct' | 'mesh'

interface Outbound {
  /** The volume it sends from (an app removed and added again under its name has a new one). */
  volume: AppVolume
  sender: ReplicationSender
  link: ProtomuxLink
  via: ReplicationVia
  busy: boolean
  /** The transfer in flight, if any: callers that must wait for it await this. */
  current: Promise<unknown> | null
  /** Newest snapshot the replica acknowledged over this link. */
  acked: string | null
  retryAt: number
  progress: ReplicationProgress | null
  /** Stops pushing the chunks the app's snapshots read to this replica. */
  unwatch: () => void
}

/**
 * Replication channels on the node's mesh connections. Each direction of each app has its own
 * channel (id = "<app>/<sender id>"), so after a move the new master can send to the old one on
 * the same connection. The master calls `push(peer, app)` whenever it has something new; the
 * hub keeps at most one transfer per replica in flight and only ever offers the newest snapshot.
 */
export class ReplicationHub {
  private readonly muxes = new Map<NodeId, Protomux>()
  private readonly outbound = new Map<string, Outbound>()
  /** Outbound links being set up (a direct session being dialled), by key. */
  private readonly opening = new Map<string, Promise<Outbound | null>>()
  private readonly inbound = new Map<string, ReplicationReceiver>()
  /** Progress of transfers into this node, by app. */
  readonly incoming = new Map<string, ReplicationProgress>()

  constructor(private readonly hooks: HubHooks) {}

  /** A new admitted session: accept replication channels the peer opens towards us. */
  attach(peer: NodeId, mux: Protomux): void {
    this.muxes.set(peer, mux)
    for (const key of [...this.outbound.keys()]) if (key.startsWith(`${peer}/`)) this.dropOutbound(key)
    this.acceptChannels(peer, mux)
  }

  /** A direct data session with `peer`: it may open replication channels on it too. */
  attachData(peer: NodeId, mux: Protomux): void {
    this.acceptChannels(peer, mux)
  }

  /** Accepts the replication channels `peer` opens on `mux`. */
  private acceptChannels(peer: NodeId, mux: Protomux): void {
    // protomux awaits this before it decides the channel is unmatched, and destroys the whole
    // connection if it throws: so return the promise, and never let it reject.
    mux.pair({ protocol: CHANNELS.replication }, (id) => {
      if (id === null) return
      return this.acceptChannel(peer, mux, id).catch((err) => debug('replication channel from %s refused: %s', peer.slice(0, 12), err))
    })
  }

  detach(peer: NodeId, mux: Protomux): void {
    if (this.muxes.get(peer) === mux) this.muxes.delete(peer)
  }

  /** What is in flight to each replica of `app` (for the CLI and console). */
  outgoing(app: string): Array<{ peer: NodeId; progress: ReplicationProgress | null; acked: string | null; via: ReplicationVia }> {
    const out = []
    for (const [key, o] of this.outbound) {
      const [peer, a] = splitKey(key)
      if (a === app) out.push({ peer, progress: o.busy ? o.progress : null, acked: o.acked, via: o.via })
    }
    return out
  }

  /**
   * Offers the newest snapshot of `app` to `peer` if it lacks it. Resolves when the replica
   * holds it (true), or false when there is nothing to send or no link right now.
   */
  async push(peer: NodeId, app: string, volume: AppVolume, peerHead: string | null): Promise<boolean> {
    const head = volume.head()
    if (head === null || head.id === peerHead) return false
    const o = await this.outboundFor(peer, app, volume)
    if (o !== null && o.acked === head.id) return true
    if (o === null || o.busy || Date.now() < o.retryAt) return false
    if ((await this.send(o, peer, app, head.id)) !== null) return true
    o.retryAt = Date.now() + RETRY_MS
    return false
  }

  /**
   * Like push, but waits for a transfer already in flight and reports whether the peer now
   * holds the newest snapshot and how many bytes this call put on the wire (for moves).
   */
  async pushAwait(peer: NodeId, app: string, volume: AppVolume): Promise<{ held: boolean; bytes: number }> {
    const head = volume.head()
    if (head === null) return { held: true, bytes: 0 }
    const o = await this.outboundFor(peer, app, volume)
    if (o === null) return { held: false, bytes: 0 }
    if (o.acked === head.id) return { held: true, bytes: 0 }
    while (o.busy) await o.current?.catch(() => undefined)
    if (o.acked === head.id) return { held: true, bytes: 0 }
    o.retryAt = 0
    const r = await this.send(o, peer, app, head.id)
    return r === null ? { held: false, bytes: 0 } : { held: true, bytes: r.bytesSent }
  }

  /**
   * Sends snapshot `id` over `o` (busy meanwhile): what the send reports, or null when it failed
   * (a link that closed or stalled is dropped, so the next push opens another).
   */
  private async send(o: Outbound, peer: NodeId, app: string, id: string): Promise<SendResult | null> {
    o.busy = true
    try {
      const sending = o.sender.send(id)
      o.current = sending
      const r = await sending
      o.acked = id
      return r
    } catch (err) {
      debug('replicating %s to %s: %s', app, peer.slice(0, 12), (err as Error).message)
      if (ShoalError.is(err, 'LINK_CLOSED') || ShoalError.is(err, 'STREAM_STALLED')) this.dropOutbound(`${peer}/${app}`)
      return null
    } finally {
      o.busy = false
      o.current = null
      o.progress = null
    }
  }

  /** The newest snapshot of `app` that `peer` acknowledged over this hub's link, or null. */
  acked(peer: NodeId, app: string): string | null {
    return this.outbound.get(`${peer}/${app}`)?.acked ?? null
  }

  /** Stops sending `app` to `peer` (no longer a replica). */
  stop(peer: NodeId, app: string): void {
    this.dropOutbound(`${peer}/${app}`)
  }

  close(): void {
    for (const key of [...this.outbound.keys()]) this.dropOutbound(key)
    for (const r of this.inbound.values()) r.close()
    this.inbound.clear()
  }

  /** The link to `peer` for `app`: the one open, or a new one (direct if a session can be had). */
  private outboundFor(peer: NodeId, app: string, volume: AppVolume): Promise<Outbound | null> {
    const key = `${peer}/${app}`
    const existing = this.outbound.get(key)
    if (existing !== undefined && existing.volume === volume) return Promise.resolve(existing)
    // Made for an earlier app of the same name: its store is not this one's.
    if (existing !== undefined && !existing.busy) this.dropOutbound(key)
    else if (existing !== undefined) return Promise.resolve(null)
    if (!this.muxes.has(peer)) return Promise.resolve(null)
    const opening = this.opening.get(key)
    if (opening !== undefined) return opening
    const open = this.openOutbound(peer, app, volume).finally(() => this.opening.delete(key))
    this.opening.set(key, open)
    return open
  }

  private async openOutbound(peer: NodeId, app: string, volume: AppVolume): Promise<Outbound | null> {
    const key = `${peer}/${app}`
    const direct = (await this.hooks.direct?.(peer).catch(() => null)) ?? null
    const mux = direct ?? this.muxes.get(peer)
    // The mesh session may have gone, or another call set one up, while the session was dialled.
    if (mux === undefined || !this.muxes.has(peer)) return null
    if (this.outbound.has(key)) return this.outbound.get(key)!
    let link: ProtomuxLink
    try {
      link = new ProtomuxLink(mux, b4a.from(`${app}/${this.hooks.self}`))
    } catch {
      return null
    }
    const o: Outbound = {
      volume,
      link,
      via: direct !== null ? 'direct' : 'mesh',
      sender: new ReplicationSender({ link, chunks: volume.chunks, snapshots: volume.store, bandwidthLimit: this.hooks.bandwidthLimit, onProgress: (p) => (o.progress = p) }),
      busy: false,
      current: null,
      acked: null,
      retryAt: 0,
      progress: null,
      // New chunks go to the replica while a snapshot is still being taken (see pushAhead).
      unwatch: volume.snapshotter.watchReads((f) => o.sender.pushAhead(f))
    }
    this.outbound.set(key, o)
    return o
  }

  private dropOutbound(key: string): void {
    const o = this.outbound.get(key)
    if (o === undefined) return
    this.outbound.delete(key)
    o.unwatch()
    o.sender.close()
  }

  private async acceptChannel(peer: NodeId, mux: Protomux, id: Uint8Array): Promise<void> {
    const name = b4a.toString(id)
    const slash = name.lastIndexOf('/')
    const app = name.slice(0, slash)
    if (slash <= 0 || name.slice(slash + 1) !== peer) throw new ShoalError('BAD_FRAME', `bad replication channel id ${JSON.stringify(name)}`)
    const volume = await this.hooks.volume(app)
    if (volume === null) throw new ShoalError('NOT_A_REPLICA', `${app} is not held here`)
    await volume.open()
    const key = `${peer}/${app}`
    this.inbound.get(key)?.close()
    const link = new ProtomuxLink(mux, id)
    const receiver = new ReplicationReceiver({
      link,
      chunks: volume.chunks,
      snapshots: volume.store,
      self: this.hooks.self,
      accept: (snapnode) => this.hooks.accept(app, peer, snapnode),
      onProgress: (p) => this.incoming.set(app, p),
      onCommit: (snapnode) => {
        this.incoming.delete(app)
        this.hooks.committed(app, snapnode)
      },
      onError: (err) => {
        this.incoming.delete(app)
        debug('receiving %s from %s: %s', app, peer.slice(0, 12), err.message)
      }
    })
    this.inbound.set(key, receiver)
  }
}

function splitKey(key: string): [NodeId, string] {
  const i = key.indexOf('/')
  return [key.slice(0, i), key.slice(i + 1)]
}
