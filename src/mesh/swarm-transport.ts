import Hyperswarm, { type Discovery, type SwarmConnection } from 'hyperswarm'
import DHT, { type KeyPair } from 'hyperdht'
import Protomux, { type Channel, type Message } from 'protomux'
import { debuglog } from 'node:util'
import c from 'compact-encoding'
import b4a from 'b4a'
import { ShoalError } from '../core/errors.js'
import type { Transport, TransportHandler } from '../core/transport.js'
import type { NodeId } from '../core/types.js'
import { admissionHello, type AdmissionHello } from '../protocol/admission-messages.js'
import { CHANNELS, PROTOCOL_VERSION } from '../protocol/version.js'
import { admissionProof, verifyProof } from './admission.js'

/** NODE_DEBUG=shoal prints connection and admission details to stderr. */
const debug = debuglog('shoal')

/**
 * Admission takes one round trip. A connection that has not passed it by then is dropped (not
 * banned): on a loopback or LAN testnet hyperdht occasionally opens a connection on one side
 * only, and the quickest cure is to let hyperswarm dial again.
 */
/** A graceful close waits at most this long for peers to close the connections it ended. */
export const GRACEFUL_CLOSE_MS = 1_000
export const ADMISSION_TIMEOUT_MS = 3000
/** A peer that proved the wrong key (or speaks another protocol) is refused for this long. */
export const BAN_MS = 60_000
/**
 * Hyperswarm refreshes a topic only every 10 minutes, so nodes that start at the same moment can
 * miss each other's announcements. While this node has no session, it looks again on this
 * schedule (ms), then every last value.
 */
export const DISCOVERY_RETRY_MS = [500, 1000, 2000, 4000, 8000, 15000]

export interface SwarmTransportOptions {
  keyPair: KeyPair
  clusterKey: Uint8Array
  topic: Uint8Array
  /** host:port strings; undefined means hyperswarm's public bootstrap. */
  bootstrap?: Array<{ host: string; port: number }>
  /** Address the DHT binds to (e.g. 127.0.0.1); undefined binds all interfaces. */
  host?: string
  software: string
  admissionTimeoutMs?: number
  banMs?: number
  /** A peer was refused (wrong cluster key, another protocol version…), e.g. for the event log. */
  onRefused?: (peer: NodeId, why: ShoalError) => void
  /** Test hook: the protocol version this node speaks (default PROTOCOL_VERSION). */
  protocolVersion?: number
}

/** An admitted peer's connection: the mesh channel plus the mux for other channels. */
export interface PeerSession {
  id: NodeId
  conn: SwarmConnection
  mux: Protomux
  remoteHost: string | null
}

interface Session extends PeerSession {
  frame: Message<Uint8Array>
}

/**
 * The real transport: hyperswarm finds peers on the cluster topic; every connection must pass
 * admission on its own protomux channel before the mesh channel opens. A peer that fails is
 * dropped and firewalled for BAN_MS.
 */
export class SwarmTransport implements Transport {
  readonly localId: NodeId
  readonly stats = { admitted: 0, refused: 0, dropped: 0 }
  private handler: TransportHandler | null = null
  private readonly sessions = new Map<NodeId, Session>()
  private readonly banned = new Map<NodeId, number>()
  private readonly sessionListeners: Array<(s: PeerSession) => void> = []
  private swarm: Hyperswarm | null = null
  private discovery: Discovery | null = null
  private retryTimer: NodeJS.Timeout | null = null
  private retries = 0
  private readonly dialed = new Set<NodeId>()
  private closing = false
  /** Set by suspend(): no connection is kept or accepted until resume(). */
  private suspended = false

  constructor(private readonly o: SwarmTransportOptions) {
    this.localId = b4a.toString(o.keyPair.publicKey, 'hex')
  }

  async ready(): Promise<void> {
    const dht = new DHT({ keyPair: this.o.keyPair, bootstrap: this.o.bootstrap, host: this.o.host })
    this.swarm = new Hyperswarm({
      keyPair: this.o.keyPair,
      dht,
    })
    this.swarm.on('connection', (conn: SwarmConnection, info: { client: boolean }) => {
      debug('%s connection with %s', info.client ? 'client' : 'server', b4a.toString(conn.remotePublicKey, 'hex').slice(0, 12))
      this.onConnection(conn)
    })
    await dht.ready()
    this.discovery = this.swarm.join(this.o.topic, { client: true, server: true })
    // Announcing can take a while on the public DHT; peers that find us meanwhile still connect.
    this.discovery.flushed().catch(() => {})
    this.scheduleRediscovery()
  }

  /** Connects to a known member directly (learned through gossip), keeping a full mesh. */
  dial(peer: NodeId): void {
    if (this.swarm === null || this.closing || this.dialed.has(peer) || this.isBanned(peer)) return
    this.dialed.add(peer)
    this.swarm.joinPeer(b4a.from(peer, 'hex'))
  }

  /** Stops reconnecting to a member that is dead or gone. */
  forget(peer: NodeId): void {
    if (this.swarm === null || !this.dialed.delete(peer)) return
    this.swarm.leavePeer(b4a.from(peer, 'hex'))
  }

  private scheduleRediscovery(): void {
    if (this.closing || this.retryTimer !== null) return
    const delay = DISCOVERY_RETRY_MS[Math.min(this.retries++, DISCOVERY_RETRY_MS.length - 1)]!
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null
      if (this.closing || this.sessions.size > 0) return
      debug('no peers yet: looking up the topic again')
      this.discovery?.refresh({ client: true, server: true }).catch((err) => debug('refresh failed: %s', err))
      this.scheduleRediscovery()
    }, delay)
    this.retryTimer.unref()
  }

  /** The DHT's bound address (host as configured, port chosen by the OS). */
  address(): { host: string; port: number } | null {
    return this.swarm?.dht.address() ?? null
  }

  setHandler(handler: TransportHandler): void {
    this.handler = handler
  }

  /** Called for every admitted session, e.g. to open replication or tunnel channels on it. */
  onSession(fn: (s: PeerSession) => void): void {
    this.sessionListeners.push(fn)
  }

  session(peer: NodeId): PeerSession | null {
    return this.sessions.get(peer) ?? null
  }

  connected(): NodeId[] {
    return [...this.sessions.keys()]
  }

  isConnected(peer: NodeId): boolean {
    return this.sessions.has(peer)
  }

  send(peer: NodeId, frame: Uint8Array): boolean {
    const s = this.sessions.get(peer)
    if (s === undefined) return false
    s.frame.send(frame)
    return true
  }

  drop(peer: NodeId, reason: ShoalError): void {
    const s = this.sessions.get(peer)
    if (s === undefined) return
    this.stats.dropped++
    s.conn.destroy(reason)
  }

  /**
   * Drills: every connection drops and the swarm stops listening, as if this machine vanished
   * from the network; peers trying to reconnect find nobody. resume() rejoins with a fresh swarm
   * (new DHT node, same key), so no backoff learned while away delays the return.
   */
  async suspend(): Promise<void> {
    if (this.closing || this.suspended) return
    this.suspended = true
    if (this.retryTimer !== null) clearTimeout(this.retryTimer)
    this.retryTimer = null
    const swarm = this.swarm
    this.swarm = null
    this.discovery = null
    this.dialed.clear()
    for (const s of this.sessions.values()) s.conn.destroy()
    await swarm?.destroy({ force: true })
  }

  async resume(): Promise<void> {
    if (this.closing || !this.suspended) return
    this.suspended = false
    this.retries = 0
    await this.ready()
  }

  get isSuspended(): boolean {
    return this.suspended
  }

  /**
   * Closes every connection: at once, as a crash would (drills), or with `graceful`, ending
   * each one first so what was written (a `left` claim) still reaches the peer, waiting at most
   * GRACEFUL_CLOSE_MS for them to close before cutting the rest.
   */
  async close(opts: { graceful?: boolean } = {}): Promise<void> {
    if (this.closing) return
    this.closing = true
    if (this.retryTimer !== null) clearTimeout(this.retryTimer)
    if (opts.graceful) {
      const open = [...this.sessions.values()].map((s) => s.conn).filter((c) => !c.destroyed)
      const closed = open.map((c) => new Promise<void>((resolve) => c.once('close', () => resolve())))
      for (const c of open) c.end()
      let timer: NodeJS.Timeout | null = null
      await Promise.race([Promise.all(closed), new Promise<void>((resolve) => (timer = setTimeout(resolve, GRACEFUL_CLOSE_MS)))])
      if (timer !== null) clearTimeout(timer)
    }
    for (const s of this.sessions.values()) s.conn.destroy()
    await this.swarm?.destroy({ force: true })
  }

  private isBanned(id: NodeId): boolean {
    const until = this.banned.get(id)
    if (until === undefined) return false
    if (Date.now() < until) return true
    this.banned.delete(id)
    return false
  }

  /**
   * Drops a connection that failed admission. A wrong proof bans the peer for a while; a slow
   * one (a loaded machine, a lost packet) is only dropped, so it can try again at once.
   */
  private refuse(conn: SwarmConnection, id: NodeId, why: ShoalError): void {
    this.stats.refused++
    debug('refused %s: %s', id.slice(0, 12), why.message)
    if (why.code !== 'ADMISSION_TIMEOUT') this.banned.set(id, Date.now() + (this.o.banMs ?? BAN_MS))
    conn.destroy(why)
    this.o.onRefused?.(id, why)
  }

  private onConnection(conn: SwarmConnection): void {
    const id = b4a.toString(conn.remotePublicKey, 'hex')
    conn.on('error', (err) => debug('connection with %s: %s', id.slice(0, 12), err.message))
    if (this.closing || this.suspended || this.isBanned(id)) return conn.destroy()
    const mux = Protomux.from(conn)
    let admitted = false
    const timer = setTimeout(() => {
      if (!admitted) this.refuse(conn, id, new ShoalError('ADMISSION_TIMEOUT', 'peer did not prove the cluster key in time'))
    }, this.o.admissionTimeoutMs ?? ADMISSION_TIMEOUT_MS)
    timer.unref()
    conn.once('close', () => {
      clearTimeout(timer)
      const s = this.sessions.get(id)
      if (s !== undefined && s.conn === conn) {
        this.sessions.delete(id)
        this.handler?.onClose(id)
        if (this.sessions.size === 0) {
          this.retries = 0
          this.scheduleRediscovery()
        }
      }
    })

    const openAdmission = () => {
      const admission = mux.createChannel({
        protocol: CHANNELS.admission,
        handshake: admissionHello as never,
        onopen: (remote) => {
          const hello = remote as AdmissionHello
          const version = this.o.protocolVersion ?? PROTOCOL_VERSION
          if (hello.version !== version) {
            return this.refuse(conn, id, new ShoalError('PROTOCOL_MISMATCH', `peer speaks protocol ${hello.version} (software ${JSON.stringify(hello.software.slice(0, 40))}), we speak ${version}`))
          }
          if (!verifyProof(this.o.clusterKey, conn.handshakeHash, conn.remotePublicKey, hello.proof)) {
            return this.refuse(conn, id, new ShoalError('ADMISSION_FAILED', 'peer does not know the cluster key'))
          }
          admitted = true
          clearTimeout(timer)
          debug('admitted %s', id.slice(0, 12))
          this.openMesh(conn, mux, id)
        }
      })
      if (admission === null) return conn.destroy()
      admission.open({
        version: this.o.protocolVersion ?? PROTOCOL_VERSION,
        proof: admissionProof(this.o.clusterKey, conn.handshakeHash, this.o.keyPair.publicKey),
        software: this.o.software
      } satisfies AdmissionHello)
    }
    // Hyperswarm settles duplicate connections (both sides dialled at once) by a key tie-break
    // only while neither side has both sent and received bytes; writing at once on both ends
    // made each side keep a different connection. So the side with the larger key speaks
    // first and the other answers only once it has heard it.
    if (b4a.compare(this.o.keyPair.publicKey, conn.remotePublicKey) > 0) openAdmission()
    else mux.pair({ protocol: CHANNELS.admission }, () => openAdmission())
  }

  private openMesh(conn: SwarmConnection, mux: Protomux, id: NodeId): void {
    let frame: Message<Uint8Array> | null = null
    const channel: Channel | null = mux.createChannel({
      protocol: CHANNELS.mesh,
      onopen: () => {
        if (frame === null || conn.destroyed) return
        const previous = this.sessions.get(id)
        const s: Session = { id, conn, mux, frame, remoteHost: conn.rawStream?.remoteHost ?? null }
        this.sessions.set(id, s)
        this.stats.admitted++
        if (previous !== undefined && previous.conn !== conn) previous.conn.destroy()
        else this.handler?.onOpen(id)
        for (const fn of this.sessionListeners) fn(s)
      },
      onclose: () => conn.destroy()
    })
    if (channel === null) return conn.destroy()
    frame = channel.addMessage({
      encoding: c.raw,
      onmessage: (buf: Uint8Array) => {
        if (this.sessions.get(id)?.conn === conn) this.handler?.onFrame(id, buf)
      }
    })
    channel.open()
  }
}
