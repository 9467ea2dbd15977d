import { EventEmitter } from 'node:events'
import { debuglog } from 'node:util'
import net from 'node:net'
import type { Duplex } from 'node:stream'
import { ShoalError } from '../core/errors.js'
import { linkAccepted, linkRefusal, linkRequest, linkTarget, readLinkAnswer } from '../protocol/link-handshake.js'
import { FramedSocket } from './framed-socket.js'
import { MeshTunnel } from './tunnel.js'
import type { TunnelStream } from './tunnel-stream.js'

const debug = debuglog('shoal')

/** Connecting and upgrading a link gives up after this long. */
export const LINK_CONNECT_TIMEOUT_MS = 2000
/** A node whose front did not take a link is not asked again for this long. */
export const LINK_RETRY_MS = 30_000
/** A link taken by the node it was meant for shows that its address leads there, for this long
 * (TCP apps' direct connections rely on it; see `verified`). */
export const LINK_VERIFIED_MS = 10 * 60_000
/** A link that carried no stream for this long is closed (checked every LINK_SWEEP_MS). */
export const LINK_IDLE_MS = 60_000
export const LINK_SWEEP_MS = 10_000
/** Links other nodes may have open to this one at once; more are refused. */
export const MAX_INBOUND_LINKS = 256
/** TCP keep-alive probes on links start after this much silence (a peer gone without a FIN). */
const KEEP_ALIVE_MS = 10_000

export interface FrontLinksOptions {
  /** This node's id: links asked for another node are refused (421). */
  self: string
  /** A stream another node opened over its link ("http:<app>" or "tcp:<app>"): serve it as the
   * listener of that name would serve a connection, or `stream.refuse(err)`. Must not block. */
  onStream(name: string, stream: TunnelStream): void
  connectTimeoutMs?: number
  retryMs?: number
  verifiedMs?: number
  idleMs?: number
  sweepMs?: number
  maxInbound?: number
}

interface Link {
  tunnel: MeshTunnel
  sock: net.Socket
  /** performance.now() when it last had a stream open, or was made. */
  usedAt: number
}

/** Where a link to a node stands at one of its addresses (see FrontLinks.reach). */
export type LinkState = 'up' | 'trying' | 'refused'

/**
 * Front links: one multiplexed TCP connection from this node to another node's HTTP port, over
 * which this node's fronts forward every client connection for an app mastered there. Without
 * links each client connection needs its own connection between the nodes, and each request costs
 * both nodes a system call per direction; over a link the requests of many connections that
 * arrive in one turn of the event loop leave in one write (see FramedSocket).
 *
 * A link starts as an HTTP upgrade (protocol/link-handshake.ts), so it needs no port of its own
 * and passes wherever the HTTP port does. The far node serves each stream exactly as a connection
 * to its own listener: same routing, gate, counters, limits and hop counter. A link grants
 * nothing a plain connection to that port does not.
 *
 * Each link is made to one node at one address, and only that node takes it (the handshake names
 * both ends): an address that leads elsewhere is refused like one that does not answer, and the
 * caller uses the mesh tunnel meanwhile. Links are keyed by node and address.
 *
 * Events: 'link' ({host, port}) when a link is up, 'link-failed' ({host, port, error}).
 */
export class FrontLinks extends EventEmitter {
  private readonly out = new Map<string, Link>()
  private readonly dialling = new Set<string>()
  /** Where a link was refused or failed, until when not to try again. */
  private readonly refused = new Map<string, number>()
  /** Where the named node took a link, and when (Date.now()). */
  private readonly verifiedAt = new Map<string, number>()
  private readonly inbound = new Set<Link>()
  private sweeper: NodeJS.Timeout | null = null
  private closed = false
  private readonly connectTimeoutMs: number
  private readonly retryMs: number
  private readonly verifiedMs: number
  private readonly idleMs: number

  constructor(private readonly o: FrontLinksOptions) {
    super()
    this.connectTimeoutMs = o.connectTimeoutMs ?? LINK_CONNECT_TIMEOUT_MS
    this.retryMs = o.retryMs ?? LINK_RETRY_MS
    this.verifiedMs = o.verifiedMs ?? LINK_VERIFIED_MS
    this.idleMs = o.idleMs ?? LINK_IDLE_MS
  }

  /**
   * Where a link to `node` at host:port stands: 'up' (`open` will use it); 'trying' (a link is
   * being made, started now if none was); 'refused' (that address did not lead to that node's
   * front lately: it refused, failed, timed out or answered as another node).
   */
  reach(host: string, port: number, node: string): LinkState {
    const key = linkKey(host, port, node)
    if (this.out.has(key)) return 'up'
    if (this.dialling.has(key)) return 'trying'
    if ((this.refused.get(key) ?? 0) > Date.now()) return 'refused'
    if (this.closed) return 'refused'
    this.dial(host, port, node, key)
    return 'trying'
  }

  /** True when `node` took a link at host:port within LINK_VERIFIED_MS and none failed since. */
  verified(host: string, port: number, node: string): boolean {
    const key = linkKey(host, port, node)
    return this.out.has(key) || Date.now() - (this.verifiedAt.get(key) ?? -Infinity) < this.verifiedMs
  }

  /** A new stream to `name` on `node` over its link at host:port, or null without a link. */
  open(host: string, port: number, node: string, name: string): Duplex | null {
    const link = this.out.get(linkKey(host, port, node))
    if (link === undefined) return null
    link.usedAt = performance.now()
    return link.tunnel.open(name)
  }

  /**
   * Takes over a connection whose client asked for a link (the HTTP front calls this after
   * reading the upgrade request for `url`; `rest` is what followed it). Answers 101 and serves the
   * streams when the request is for this node.
   */
  accept(sock: net.Socket, rest: Buffer | null, url: string): void {
    const node = linkTarget(url)
    if (node === null) return void sock.end(linkRefusal('400 Bad Request', `a front link request names the node it is for: ${url.slice(0, 100)}`))
    if (node !== this.o.self) return void sock.end(linkRefusal('421 Misdirected Request', `this is node ${this.o.self.slice(0, 12)}, not ${node.slice(0, 12)}`))
    if (this.closed || this.inbound.size >= MAX_INBOUND_LINKS) return void sock.end(linkRefusal('503 Service Unavailable', 'no more front links taken here'))
    sock.write(linkAccepted(this.o.self))
    const link = this.start(sock, rest, (name, stream) => this.o.onStream(name, stream))
    this.inbound.add(link)
    sock.once('close', () => this.inbound.delete(link))
  }

  /** Links up right now: made by this node, and made by others to it. */
  get counts(): { out: number; in: number } {
    return { out: this.out.size, in: this.inbound.size }
  }

  /** Closes every link (their streams error with TUNNEL_CLOSED). Idempotent. */
  close(): void {
    this.closed = true
    if (this.sweeper !== null) clearInterval(this.sweeper)
    this.sweeper = null
    for (const l of [...this.out.values(), ...this.inbound]) l.sock.destroy()
    this.out.clear()
    this.inbound.clear()
  }

  private dial(host: string, port: number, node: string, key: string): void {
    this.dialling.add(key)
    const sock = net.connect({ host, port, noDelay: true })
    let got: Buffer = Buffer.alloc(0)
    const fail = (error: Error) => {
      clearTimeout(timer)
      sock.removeAllListeners('data')
      sock.destroy()
      this.dialling.delete(key)
      this.refused.set(key, Date.now() + this.retryMs)
      this.verifiedAt.delete(key)
      debug('front link to %s: %s', key, error.message)
      this.emit('link-failed', { host, port, error })
    }
    const timer = setTimeout(() => fail(new ShoalError('LINK_REFUSED', `no link from ${key} within ${this.connectTimeoutMs} ms`)), this.connectTimeoutMs)
    sock.once('connect', () => sock.write(linkRequest(node)))
    sock.on('error', (err) => fail(err))
    sock.on('close', () => this.dialling.has(key) && fail(new ShoalError('LINK_REFUSED', `${key} closed the connection before answering the link request`)))
    const onData = (chunk: Buffer) => {
      got = got.length === 0 ? chunk : Buffer.concat([got, chunk])
      const answer = readLinkAnswer(got, node)
      if (answer === 'more') return
      if (!answer.accepted) return fail(new ShoalError('LINK_REFUSED', `${key} refused a front link: ${answer.reason}`))
      clearTimeout(timer)
      sock.off('data', onData)
      sock.removeAllListeners('error')
      sock.removeAllListeners('close')
      this.dialling.delete(key)
      if (this.closed) return void sock.destroy()
      this.verifiedAt.set(key, Date.now())
      const link = this.start(sock, answer.rest, (_name, stream) => stream.refuse(new ShoalError('UNKNOWN_APP', 'this node serves no streams over links it made')))
      this.out.set(key, link)
      sock.once('close', () => this.out.get(key) === link && this.out.delete(key))
      this.emit('link', { host, port })
    }
    sock.on('data', onData)
  }

  private start(sock: net.Socket, rest: Buffer | null, onStream: (name: string, stream: TunnelStream) => void): Link {
    sock.setNoDelay(true)
    sock.setKeepAlive(true, KEEP_ALIVE_MS)
    // Errors end in 'close', which the tunnel and the maps handle.
    sock.on('error', () => {})
    const framed = new FramedSocket(sock, rest ?? undefined)
    const tunnel = new MeshTunnel(framed, { onStream, remoteAddress: sock.remoteAddress ?? 'link' })
    tunnel.on('bad-frame', () => sock.destroy())
    this.sweeper ??= setInterval(() => this.sweep(), this.o.sweepMs ?? LINK_SWEEP_MS).unref()
    return { tunnel, sock, usedAt: performance.now() }
  }

  /**
   * Closes links that carried nothing for a while: those this node made after LINK_IDLE_MS, and
   * those made to it after twice that (their makers close them first; one that does not, say a
   * client holding links open to use up MAX_INBOUND_LINKS, loses them).
   */
  private sweep(): void {
    const now = performance.now()
    for (const [key, link] of this.out) if (this.idleFor(link, now, this.idleMs)) this.out.delete(key)
    for (const link of this.inbound) if (this.idleFor(link, now, 2 * this.idleMs)) this.inbound.delete(link)
  }

  /** True (and the link closed) when it carried no stream for `limitMs`; notes it in use otherwise. */
  private idleFor(link: Link, now: number, limitMs: number): boolean {
    if (link.tunnel.streams > 0) link.usedAt = now
    else if (now - link.usedAt > limitMs) {
      link.sock.destroy()
      return true
    }
    return false
  }
}

function linkKey(host: string, port: number, node: string): string {
  return `${node}@${host}:${port}`
}
