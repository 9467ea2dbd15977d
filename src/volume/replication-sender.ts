import { ShoalError, isErrorCode, toShoalError } from '../core/errors.js'
import { MAX_CHUNK_BYTES, decodeReplication, encodeChunkFrame, encodeReplication, type ReplicationMessage } from '../protocol/volume-messages.js'
import { literalBytes, nextFrames } from './chunk-frames.js'
import type { ChunkStore } from './chunk-store.js'
import { frameLength, type Link } from './link.js'
import { newPushing, queueFileChunks, queueNewPieces, type Pushing } from './push-ahead-queue.js'
import { STALL_TIMEOUT_MS } from './replication-receiver.js'
import type { ChunkSource } from './run-alignment.js'
import { newOutgoing, takeWant, type Outgoing, type SendResult, type Sending } from './sending.js'
import type { SnapshotStore } from './snapshot-store.js'
import type { FileSettled } from './snapshotter.js'
import type { ReplicationProgress } from './transfer-progress.js'
import { yieldToLoop } from './yield-to-loop.js'

export type { SendResult } from './sending.js'

/**
 * Wanted chunks are read (synchronously) into one reused buffer of this size, as many back to
 * back as fit; it holds the largest chunk a link may carry.
 */
export const READ_BUFFER_BYTES = MAX_CHUNK_BYTES
/** The sender lets the event loop run after putting this many bytes on the link. */
const YIELD_EVERY_BYTES = 1024 * 1024
/**
 * Bytes the sender may queue past the link's "buffer full" signal before it waits for a drain.
 * Stream buffers signal full at a few KiB, below one chunk; waiting on every chunk would turn
 * the transfer into stop-and-wait.
 */
export const SEND_SLACK_BYTES = 1024 * 1024

export interface SenderOptions {
  link: Link
  chunks: ChunkStore
  snapshots: SnapshotStore
  /** Fails a transfer with STREAM_STALLED when the receiver is silent this long (default 30 s). */
  stallTimeoutMs?: number
  /** Average bytes per second the sender may put on the link; unlimited when absent or 0. */
  bandwidthLimit?: number
  /** See SEND_SLACK_BYTES. */
  sendSlackBytes?: number
  /**
   * Offer to send changed chunks as patches on chunks the receiver holds (default true). False
   * behaves as a sender from before patches existed.
   */
  patches?: boolean
  /**
   * Push the new chunks of a snapshot being taken to a receiver that asked for it and holds its
   * parent, before the offer (default true; see pushAhead).
   */
  pushAhead?: boolean
  onProgress?: (p: ReplicationProgress) => void
}

/**
 * The master's end of one replication link: offers a snapshot, then answers the receiver's want
 * lists with chunks, respecting the link's backpressure and the optional bandwidth limit, until
 * the receiver acknowledges the commit. One transfer at a time; `send` calls queue up. When the
 * link closes, pending sends fail with LINK_CLOSED; retry on a new link (the receiver keeps
 * what it already stored, so nothing is sent twice).
 */
export class ReplicationSender {
  private readonly opts: SenderOptions
  private current: Outgoing | null = null
  private chain: Promise<unknown> = Promise.resolve()
  private pumping = false
  private drainWaiter: (() => void) | null = null
  private queuedSinceDrain = 0
  private lastActivity = Date.now()
  private closed = false
  private readonly timer: NodeJS.Timeout
  private readonly stallTimeoutMs: number
  /** Where wanted chunks are read; the frames made from it are sent before it is read into again. */
  private readonly readBuffer = Buffer.allocUnsafeSlow(READ_BUFFER_BYTES)
  /** The chunk store read synchronously, for aligning runs. */
  private readonly source: ChunkSource
  /** The last snapshot the receiver acknowledged on this link, and whether it takes pushes. */
  private lastAck: { id: string; push: boolean } | null = null
  /** Sends queued or in flight (pushes wait for none). */
  private sends = 0
  private pushing = newPushing()
  /** The push pump, while it runs. */
  private pushPump: Promise<void> | null = null

  constructor(opts: SenderOptions) {
    this.opts = opts
    this.stallTimeoutMs = opts.stallTimeoutMs ?? STALL_TIMEOUT_MS
    this.source = { size: (h) => opts.chunks.size(h), read: async (h) => opts.chunks.readSync(h) }
    this.timer = setInterval(() => this.checkStall(), Math.max(10, Math.floor(this.stallTimeoutMs / 4)))
    this.timer.unref()
    opts.link.setHandler({
      onFrame: (f) => this.onFrame(f),
      onDrain: () => {
        this.lastActivity = Date.now()
        this.queuedSinceDrain = 0
        const w = this.drainWaiter
        this.drainWaiter = null
        w?.()
      },
      onClose: () => this.shutdown(new ShoalError('LINK_CLOSED', 'replication link closed; retry on a new connection'))
    })
  }

  /** Progress of the transfer in flight, if any. */
  get progress(): ReplicationProgress | null {
    return this.current ? this.current.meter.snapshot('chunks') : null
  }

  /** Sends snapshot `id` (which must be committed locally) and resolves once the receiver committed it. */
  send(id: string): Promise<SendResult> {
    this.sends++
    const run = this.chain.then(() => this.transfer(id)).finally(() => this.sends--)
    this.chain = run.catch(() => undefined)
    return run
  }

  /**
   * A snapshot being taken read (part of) a file: when the receiver asked for pushes and holds
   * the snapshot's parent, and no transfer is under way, its new chunks go to the link now (as
   * patches on the file's previous chunks where they can), so that by the time the snapshot is
   * offered the receiver has most of what it lacks. The offer waits until they are all sent.
   * At most PUSH_AHEAD_BYTES per offer; the rest is asked for as usual.
   */
  pushAhead(f: FileSettled): void {
    if (this.sends > 0 || this.current !== null || !this.takesPushesOn(f.parent)) return
    if (queueFileChunks(this.pushing, f, this.opts.chunks, this.opts.patches !== false)) this.kickPushes()
  }

  /**
   * The receiver asked for pushes in its last ack, which was for `parent`. Under a bandwidth
   * limit, chunks go only as asked for (the limit paces transfers).
   */
  private takesPushesOn(parent: string | null): boolean {
    const ack = this.lastAck
    return !this.closed && this.opts.pushAhead !== false && !this.opts.bandwidthLimit && ack !== null && ack.push && parent === ack.id
  }

  /** Resolves once every push queued is on the link (or could not be read). */
  private async flushPushes(): Promise<void> {
    for (;;) {
      if (this.pushPump !== null) await this.pushPump
      else if (this.pushing.queue.length === 0 || this.pushing.settled) return
      else this.kickPushes()
    }
  }

  /** Starts pushing what is queued, unless that is under way. */
  private kickPushes(): void {
    if (this.pushPump !== null) return
    const p = this.pushing
    this.lastActivity = Date.now() // the stall timeout counts from here (see checkStall)
    this.pushPump = this.pushAll(p).finally(() => (this.pushPump = null))
  }

  /** Pushes `p`'s queue until it is empty, given up, or replaced by the next offer's. Never rejects. */
  private async pushAll(p: Pushing): Promise<void> {
    while (p === this.pushing && p.queue.length > 0 && !p.settled && !this.closed) {
      // The last transfer's pump may be winding down (it yields to the event loop now and then).
      if (this.pumping) {
        await yieldToLoop()
        continue
      }
      // A chunk that cannot be read is not pushed (the offer's wants ask for it); the rest is.
      await this.pump(p).catch(() => undefined)
    }
  }

  close(): void {
    this.shutdown(new ShoalError('LINK_CLOSED', 'replication sender closed'))
    this.opts.link.close()
  }

  private async transfer(id: string): Promise<SendResult> {
    if (this.closed) throw new ShoalError('LINK_CLOSED', 'replication link is closed')
    const { snapshots } = this.opts
    await snapshots.open()
    const snapnode = snapshots.get(id)
    if (!snapnode) throw new ShoalError('NOT_FOUND', `snapshot ${id.slice(0, 12)}… is not in this store`)
    const pieces = await snapshots.readPieces(id)
    const manifestSize = pieces.reduce((n, p) => n + p.data.byteLength, 0)
    if (this.takesPushesOn(snapnode.parent)) {
      // The manifest's pieces that the parent's lacks go ahead too: the receiver then takes
      // them from its store instead of asking for them. (A parent pruned here meanwhile: the
      // receiver asks for the pieces it lacks, as without pushes.)
      const parentPieces = await snapshots.readPieces(snapnode.parent!).catch(() => null)
      if (parentPieces !== null) queueNewPieces(this.pushing, pieces, parentPieces)
    }
    // Chunks pushed ahead go first: the receiver then finds them stored when it reads the offer.
    await this.flushPushes()
    return new Promise<SendResult>((resolve, reject) => {
      if (this.closed) {
        reject(new ShoalError('LINK_CLOSED', 'replication link is closed'))
        return
      }
      const out = newOutgoing(id, snapnode, pieces, resolve, reject, { bytes: this.pushing.bytesSent, chunks: this.pushing.meter.chunks })
      this.current = out
      this.lastActivity = Date.now()
      this.pushing = newPushing()
      const offer: ReplicationMessage = { type: 'offer', snapnode, manifestSize, manifestPieces: pieces.map((p) => p.hash) }
      if (this.opts.patches !== false) offer.patches = true
      this.emit(out, offer)
    })
  }

  private onFrame(frame: Uint8Array): void {
    this.lastActivity = Date.now()
    const out = this.current
    let msg: ReplicationMessage
    try {
      msg = decodeReplication(frame)
    } catch (err) {
      if (out) this.settle(out, toShoalError(err))
      return
    }
    if (!out || out.settled || !('id' in msg) || msg.id !== out.id) return
    switch (msg.type) {
      case 'want':
        takeWant(out, msg, this.opts.patches !== false)
        this.pump(out).catch((err: unknown) => this.failLocal(out, toShoalError(err)))
        return
      case 'ack':
        this.lastAck = { id: msg.id, push: msg.push === true }
        // The receiver holds it from now on. Recording that here is bookkeeping (holders are
        // refreshed by gossip too), so the send settles at once rather than after an fsync:
        // a planned move waits on this ack while requests are held.
        this.opts.snapshots.addHolder(out.id, msg.holder).catch(() => undefined)
        this.opts.onProgress?.(out.meter.snapshot('done'))
        this.settle(out, null, msg.holder)
        return
      case 'error': {
        const code = isErrorCode(msg.code) ? msg.code : 'INTERNAL'
        this.settle(out, new ShoalError(code, `receiver refused ${out.id.slice(0, 12)}…: ${msg.message}`))
        return
      }
      default:
        return
    }
  }

  private async pump(out: Sending): Promise<void> {
    if (this.pumping) return
    this.pumping = true
    try {
      let sinceYield = 0
      while (out.queue.length > 0 && !out.settled) {
        for (const msg of await nextFrames(out, this.opts.chunks, this.readBuffer, this.source)) {
          if (out.settled) break
          await this.throttle(out)
          const ok = this.emit(out, msg)
          const payload = msg.type === 'chunk' ? msg.data.byteLength : literalBytes(msg.pieces)
          out.meter.add(payload)
          if (out !== this.pushing) this.opts.onProgress?.(out.meter.snapshot('chunks'))
          sinceYield += payload
          if (!ok) this.queuedSinceDrain += payload
          if (!ok && this.queuedSinceDrain > (this.opts.sendSlackBytes ?? SEND_SLACK_BYTES) && !out.settled) {
            await new Promise<void>((resolve) => (this.drainWaiter = resolve))
            sinceYield = 0
          }
        }
        // Reading is synchronous: give timers and other connections their turn now and then.
        if (sinceYield >= YIELD_EVERY_BYTES) {
          await yieldToLoop()
          sinceYield = 0
        }
      }
    } finally {
      this.pumping = false
    }
  }

  private async throttle(out: Sending): Promise<void> {
    const limit = this.opts.bandwidthLimit
    if (!limit) return
    const due = out.started + (out.bytesSent * 1000) / limit
    const wait = due - Date.now()
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
  }

  private emit(out: Sending, msg: ReplicationMessage): boolean {
    // A chunk's bytes go to the link as they are (it copies them): no frame-sized copy here.
    const frame = msg.type === 'chunk' ? encodeChunkFrame(msg.hash, msg.data) : encodeReplication(msg)
    out.bytesSent += frameLength(frame)
    return this.opts.link.send(frame)
  }

  /** A failure on this side: tell the receiver, then fail the send. */
  private failLocal(out: Outgoing, err: ShoalError): void {
    if (out.settled) return
    this.opts.link.send(encodeReplication({ type: 'error', id: out.id, code: err.code, message: err.message.slice(0, 1000) }))
    this.settle(out, err)
  }

  private checkStall(): void {
    const out = this.current
    if (out === null && this.pushPump !== null && Date.now() - this.lastActivity > this.stallTimeoutMs) {
      // Pushes the link has not taken for that long: give up on them (the offer asks instead,
      // and fails as stalled if the receiver stays silent).
      this.pushing.settled = true
      const w = this.drainWaiter
      this.drainWaiter = null
      w?.()
      return
    }
    if (!out || out.settled) return
    if (Date.now() - this.lastActivity > this.stallTimeoutMs) {
      this.failLocal(out, new ShoalError('STREAM_STALLED', `receiver silent for ${this.stallTimeoutMs} ms during ${out.id.slice(0, 12)}…`))
    }
  }

  private settle(out: Outgoing, err: ShoalError | null, holder?: string): void {
    if (out.settled) return
    out.settled = true
    if (this.current === out) this.current = null
    const w = this.drainWaiter
    this.drainWaiter = null
    w?.()
    if (err) out.reject(err)
    else out.resolve({ snapnode: this.opts.snapshots.get(out.id) ?? out.snapnode, holder: holder!, bytesSent: out.bytesSent + out.pushed.bytes, chunksSent: out.meter.chunks + out.pushed.chunks, durationMs: Date.now() - out.started })
  }

  private shutdown(err: ShoalError): void {
    if (this.closed) return
    this.closed = true
    clearInterval(this.timer)
    this.pushing.settled = true
    if (this.current) this.settle(this.current, err)
    const w = this.drainWaiter
    this.drainWaiter = null
    w?.()
  }
}
