import b4a from 'b4a'
import { EventEmitter } from 'node:events'
import net from 'node:net'
import NoiseSecretStream from '@hyperswarm/secret-stream'
import Protomux from 'protomux'
import type { KeyPair } from 'hyperdht'
import { debuglog } from 'node:util'
import type { NodeId } from '../core/types.js'
import { CHANNELS } from '../protocol/version.js'

const debug = debuglog('shoal')

/** A handshake not finished within this long is dropped (either side). */
export const HANDSHAKE_TIMEOUT_MS = 5000
/** Connecting to one address gives up after this long; the mesh is used meanwhile. */
export const CONNECT_TIMEOUT_MS = 2000
/** After a peer's data port failed, it is not tried again for this long. */
export const RETRY_AFTER_MS = 30_000
/** An idle session sends a keep-alive this often, so its peer can tell it from a dead one. */
export const KEEP_ALIVE_MS = 5000
/**
 * A session that hears nothing (not even a keep-alive) for this long is closed: a peer gone
 * without a FIN, or a path a firewall or NAT stopped carrying, would otherwise hold transfers
 * until TCP gives up, many minutes later. Its users then dial again or use the mesh.
 */
export const IDLE_TIMEOUT_MS = 20_000
/** Handshakes in progress at once on the listener; more connections are closed at once. */
export const MAX_PENDING_HANDSHAKES = 64

export interface DataLinksOptions {
  keyPair: KeyPair
  /** Address the listener binds to (the node's host). */
  host: string
  /** 0: chosen by the OS. */
  port: number
  /** Whether `peer` may open a data session now (an admitted mesh member). */
  admitted(peer: NodeId): boolean
  /** A data session with `peer` is up (either side opened it); it ends when `mux` closes. */
  onSession(peer: NodeId, mux: Protomux): void
  /** Test hooks: KEEP_ALIVE_MS and IDLE_TIMEOUT_MS. */
  keepAliveMs?: number
  idleTimeoutMs?: number
}

/** Opens the channel that confirms a session (both ends open it); `onopen` once both have. */
function sessionChannel(mux: Protomux, onopen: () => void): void {
  mux.createChannel({ protocol: CHANNELS.data, unique: true, onopen })?.open()
}

interface Session {
  mux: Protomux
  stream: NoiseSecretStream
  /** This node dialled it. */
  initiator: boolean
}

/**
 * Direct, encrypted TCP sessions between nodes, for bulk data (replication). The mesh runs over
 * hyperswarm's UDP transport, which reaches nodes behind NAT but carries far fewer bytes per
 * second than TCP; where a peer's advertised data port answers, a session over TCP carries the
 * same protomux channels. Both ends are authenticated by the Noise handshake with the nodes' own
 * key pairs: the listener accepts only admitted mesh members, and the dialler only the peer it
 * meant to reach. Emits 'failed' (peer, error) when a dial fails.
 */
export class DataLinks extends EventEmitter {
  private server: net.Server | null = null
  private readonly sessions = new Map<NodeId, Session>()
  private readonly dialling = new Map<NodeId, Promise<Protomux | null>>()
  /** Where and when dialling each peer last failed (a restarted peer's new port is tried at once). */
  private readonly failed = new Map<NodeId, { where: string; at: number }>()
  private readonly open = new Set<NoiseSecretStream>()
  private pending = 0
  private closed = false

  private readonly selfKey: string

  constructor(private readonly o: DataLinksOptions) {
    super()
    this.selfKey = b4a.toString(o.keyPair.publicKey, 'hex')
  }

  /** Listens on the configured host and port; rejects (EADDRINUSE…) when it cannot. */
  async listen(): Promise<void> {
    const server = net.createServer((socket) => this.accept(socket))
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(this.o.port, this.o.host, () => {
        server.off('error', reject)
        resolve()
      })
    })
    // Once listening, a failed accept (out of file descriptors…) costs that connection only.
    server.on('error', (err) => debug('data listener: %s', err.message))
    this.server = server
  }

  /** The port the listener is bound to (0 before listen). */
  get port(): number {
    const a = this.server?.address()
    return a !== null && typeof a === 'object' ? a.port : 0
  }

  /** The open session's mux with `peer`, if there is one. */
  current(peer: NodeId): Protomux | null {
    return this.sessions.get(peer)?.mux ?? null
  }

  /**
   * A session with `peer`: the open one, or a new one dialled at `addresses` (tried in order).
   * Resolves null when none answers (or did not recently); the caller then uses the mesh.
   */
  connect(peer: NodeId, addresses: ReadonlyArray<{ host: string; port: number }>): Promise<Protomux | null> {
    const open = this.current(peer)
    if (open !== null) return Promise.resolve(open)
    const inFlight = this.dialling.get(peer)
    if (inFlight !== undefined) return inFlight
    const where = addresses.map((a) => `${a.host}:${a.port}`).join(',')
    const last = this.failed.get(peer)
    if (this.closed || addresses.length === 0 || (last?.where === where && Date.now() - last.at < RETRY_AFTER_MS)) return Promise.resolve(null)
    const dial = this.dialAll(peer, addresses, where).finally(() => this.dialling.delete(peer))
    this.dialling.set(peer, dial)
    return dial
  }

  /** Closes the session with `peer` (e.g. when it left the mesh). */
  drop(peer: NodeId): void {
    this.sessions.get(peer)?.stream.destroy()
  }

  /** The peers with an open session. */
  peers(): NodeId[] {
    return [...this.sessions.keys()]
  }

  async close(): Promise<void> {
    this.closed = true
    for (const s of this.open) s.destroy()
    const server = this.server
    this.server = null
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()))
  }

  private async dialAll(peer: NodeId, addresses: ReadonlyArray<{ host: string; port: number }>, where: string): Promise<Protomux | null> {
    let last: Error | null = null
    for (const a of addresses) {
      try {
        return await this.dial(peer, a.host, a.port)
      } catch (err) {
        last = err as Error
      }
    }
    this.failed.set(peer, { where, at: Date.now() })
    this.emit('failed', peer, last ?? new Error('no address'))
    return null
  }

  private dial(peer: NodeId, host: string, port: number): Promise<Protomux> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host, port })
      const stream = this.secure(true, socket)
      const timer = setTimeout(() => stream.destroy(new Error(`${host}:${port} did not answer within ${CONNECT_TIMEOUT_MS} ms`)), CONNECT_TIMEOUT_MS)
      const fail = (err?: Error) => {
        clearTimeout(timer)
        reject(err ?? new Error(`${host}:${port} closed the connection`))
      }
      stream.once('close', fail)
      stream.once('error', fail)
      stream.once('connect', () => {
        const remote = b4a.toString(stream.remotePublicKey!, 'hex')
        if (remote !== peer || this.closed) {
          stream.destroy(new Error(`${host}:${port} is node ${remote.slice(0, 12)}…, not ${peer.slice(0, 12)}…`))
          return
        }
        // The dialler's handshake ends before the listener has seen it, let alone admitted it:
        // the session counts once the listener opened the session channel too.
        const mux = Protomux.from(stream)
        sessionChannel(mux, () => {
          clearTimeout(timer)
          stream.off('close', fail)
          stream.off('error', fail)
          resolve(this.started(peer, stream, mux, true))
        })
      })
    })
  }

  private accept(socket: net.Socket): void {
    if (this.closed || this.pending >= MAX_PENDING_HANDSHAKES) {
      socket.destroy()
      return
    }
    this.pending++
    const stream = this.secure(false, socket)
    const timer = setTimeout(() => stream.destroy(), HANDSHAKE_TIMEOUT_MS)
    const settle = () => {
      clearTimeout(timer)
      this.pending--
    }
    stream.once('close', settle)
    stream.once('connect', () => {
      stream.off('close', settle)
      settle()
      const peer = b4a.toString(stream.remotePublicKey!, 'hex')
      if (this.closed || !this.o.admitted(peer)) {
        stream.destroy()
        return
      }
      const mux = Protomux.from(stream)
      sessionChannel(mux, () => undefined)
      this.started(peer, stream, mux, false)
    })
  }

  private secure(initiator: boolean, socket: net.Socket): NoiseSecretStream {
    socket.setNoDelay(true)
    const stream = new NoiseSecretStream(initiator, socket, { keyPair: this.o.keyPair })
    // Both ends send keep-alives (each drops the other's empty messages only when it sends them too).
    stream.setKeepAlive(this.o.keepAliveMs ?? KEEP_ALIVE_MS)
    stream.setTimeout(this.o.idleTimeoutMs ?? IDLE_TIMEOUT_MS)
    stream.on('error', () => undefined) // surfaced as 'close'; a session's users see their channels close
    this.open.add(stream)
    stream.once('close', () => this.open.delete(stream))
    return stream
  }

  private started(peer: NodeId, stream: NoiseSecretStream, mux: Protomux, initiator: boolean): Protomux {
    // Both nodes may dial each other at once. Both then keep the session the node with the
    // lower key dialled; otherwise (a reconnection) the newest one. The other closes, and the
    // users of its channels open new ones on the session that stays.
    const existing = this.sessions.get(peer)
    if (existing !== undefined && !existing.stream.destroyed) {
      const lowerDials = (this.selfKey < peer) === initiator
      const existingLowerDials = (this.selfKey < peer) === existing.initiator
      if (existingLowerDials && !lowerDials) {
        stream.destroy()
        return existing.mux
      }
      existing.stream.destroy()
    }
    const session = { mux, stream, initiator }
    this.sessions.set(peer, session)
    this.failed.delete(peer)
    stream.once('close', () => {
      if (this.sessions.get(peer) === session) this.sessions.delete(peer)
    })
    this.o.onSession(peer, mux)
    return mux
  }
}
