import { ShoalError, isErrorCode } from '../core/errors.js'
import type { ManifestEntry, Snapnode } from '../core/snapnode.js'
import { MAX_CHUNK_BYTES, PUSH_AHEAD_BYTES, decodeReplication, encodeChunkFrame, encodeReplication, type ChunkRun, type PatchPiece, type ReplicationMessage } from '../protocol/volume-messages.js'
import { changedRuns } from './chunk-runs.js'
import type { ChunkStore } from './chunk-store.js'
import { frameLength, type Link } from './link.js'
import { STALL_TIMEOUT_MS, toShoalError } from './replication-receiver.js'
import type { SnapshotStore } from './snapshot-store.js'
import { alignRun, patchPieces, type ChunkSource, type RunAlignment } from './run-alignment.js'
import type { FileSettled } from './snapshotter.js'
import { ProgressMeter, type ReplicationProgress } from './transfer-progress.js'
import { yieldToLoop } from './yield-to-loop.js'

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

export interface SendResult {
  snapnode: Snapnode
  /** Node that acknowledged the commit (now recorded as a holder). */
  holder: string
  /** Frame bytes this sender put on the link for this snapshot (pushed ahead, offer, chunks). */
  bytesSent: number
  /** Chunks and manifest pieces sent, pushed ahead or asked for. */
  chunksSent: number
  durationMs: number
}

type ChunkFrame = Extract<ReplicationMessage, { type: 'chunk' | 'patch' }>

interface RunState {
  run: ChunkRun
  alignment: Promise<RunAlignment | null> | null
}

/** Chunks on their way to the link: asked for in a transfer, or pushed ahead of one. */
interface Sending {
  pieces: Map<string, Uint8Array>
  queue: string[]
  /** Runs (see chunk-runs.ts) by the hashes of their new chunks: those go as patches. */
  runs: Map<string, { run: RunState; index: number }>
  meter: ProgressMeter
  bytesSent: number
  started: number
  settled: boolean
}

interface Outgoing extends Sending {
  id: string
  snapnode: Snapnode
  resolve: (r: SendResult) => void
  reject: (e: ShoalError) => void
  totals: Map<string, number>
  /** What was pushed ahead of the offer. */
  pushed: { bytes: number; chunks: number }
}

/** What is pushed ahead of the next offer (see pushAhead). */
interface Pushing extends Sending {
  /** Every hash queued since the last offer, and the bytes they hold. */
  queued: Set<string>
  queuedBytes: number
  /** Files being read, by path: how far they were looked at (so each chunk is looked at once). */
  files: Map<string, PushedFile>
  /** Where each chunk of a file's previous version sits, by path (see changedRuns). */
  positions: Map<string, Map<string, number>>
}

interface PushedFile {
  /** Chunks looked at: chunks[0…done) were queued or are old; `last` is chunks[done - 1]. */
  done: number
  last: string | null
  /** The file's new chunks told so far (the first `seen` of FileSettled.newChunks). */
  isNew: Set<string>
  seen: number
}

function newPushing(): Pushing {
  return { pieces: new Map(), queue: [], runs: new Map(), meter: new ProgressMeter('push'), bytesSent: 0, started: Date.now(), settled: false, queued: new Set(), queuedBytes: 0, files: new Map(), positions: new Map() }
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
    const p = this.pushing
    // Told again and again as a large file is read: only what came since is looked at. A file
    // read again from its start (it changed meanwhile) starts over when its chunks no longer
    // reach, or no longer match, where the last look ended. (What this misses is only not
    // pushed: the offer asks for it.)
    let file = p.files.get(f.path)
    if (file === undefined || f.chunks.length < file.done || (file.done > 0 && f.chunks[file.done - 1] !== file.last)) {
      p.files.set(f.path, (file = { done: 0, last: null, isNew: new Set(), seen: 0 }))
    }
    for (; file.seen < f.newChunks.length; file.seen++) file.isNew.add(f.newChunks[file.seen]!)
    // A file still being read: its last new chunks wait for the chunk after them, which tells
    // where their run ends (and so which old chunks they are patches on).
    let end = f.chunks.length
    if (!f.settled) while (end > file.done && file.isNew.has(f.chunks[end - 1]!)) end--
    // From the chunk before those not looked at yet: a run starting there needs its left neighbour.
    const from = Math.max(0, file.done - 1)
    file.done = end
    file.last = end > 0 ? f.chunks[end - 1]! : null
    const chunks = f.chunks.slice(from, end)
    const fresh = new Set<string>()
    for (const h of chunks) {
      if (!file.isNew.has(h) || fresh.has(h)) continue
      const size = this.opts.chunks.size(h)
      if (size !== undefined && this.queuePush(h, size)) fresh.add(h)
    }
    if (fresh.size === 0) return
    if (this.opts.patches !== false && f.previous !== null && f.previous.length > 0) {
      // Entries only to be read by changedRuns: the lists are not copied (a huge file's are long).
      const entry = (list: readonly string[]): ManifestEntry => ({ path: f.path, kind: 'file', mode: 0, mtimeMs: 0, size: 0, chunks: list as string[] })
      for (const run of changedRuns({ entries: [entry(chunks)] }, { entries: [entry(f.previous)] }, (h) => fresh.has(h), p.positions)) {
        const state: RunState = { run, alignment: null }
        run.chunks.forEach((h, index) => {
          if (!p.runs.has(h)) p.runs.set(h, { run: state, index })
        })
      }
    }
    this.kickPushes()
  }

  /**
   * The receiver asked for pushes in its last ack, which was for `parent`. Under a bandwidth
   * limit, chunks go only as asked for (the limit paces transfers).
   */
  private takesPushesOn(parent: string | null): boolean {
    const ack = this.lastAck
    return !this.closed && this.opts.pushAhead !== false && !this.opts.bandwidthLimit && ack !== null && ack.push && parent === ack.id
  }

  /** Queues a chunk (or, with `data`, a manifest piece) to push; false when already queued or over budget. */
  private queuePush(hash: string, size: number, data?: Uint8Array): boolean {
    const p = this.pushing
    if (p.queued.has(hash) || p.queuedBytes + size > PUSH_AHEAD_BYTES) return false
    p.queued.add(hash)
    p.queuedBytes += size
    if (data !== undefined) p.pieces.set(hash, data)
    p.queue.push(hash)
    return true
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
      if (parentPieces !== null) {
        const had = new Set(parentPieces.map((p) => p.hash))
        for (const piece of pieces) if (!had.has(piece.hash)) this.queuePush(piece.hash, piece.data.byteLength, piece.data)
      }
    }
    // Chunks pushed ahead go first: the receiver then finds them stored when it reads the offer.
    await this.flushPushes()
    return new Promise<SendResult>((resolve, reject) => {
      if (this.closed) {
        reject(new ShoalError('LINK_CLOSED', 'replication link is closed'))
        return
      }
      const out: Outgoing = {
        id,
        snapnode,
        pieces: new Map(pieces.map((p) => [p.hash, p.data])),
        queue: [],
        runs: new Map(),
        meter: new ProgressMeter(id),
        bytesSent: 0,
        started: Date.now(),
        resolve,
        reject,
        settled: false,
        totals: new Map(),
        pushed: { bytes: this.pushing.bytesSent, chunks: this.pushing.meter.chunks }
      }
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
      case 'want': {
        // `total` is per phase (manifest pieces, then chunks); keep the largest seen per phase.
        const phase = out.pieces.has(msg.hashes[0] ?? '') ? 'manifest' : 'chunks'
        out.totals.set(phase, Math.max(out.totals.get(phase) ?? 0, msg.total))
        out.meter.totalChunks = [...out.totals.values()].reduce((a, b) => a + b, 0)
        out.queue.push(...msg.hashes)
        if (msg.runs !== undefined && this.opts.patches !== false) {
          for (const run of msg.runs) {
            const state: RunState = { run, alignment: null }
            run.chunks.forEach((h, index) => {
              if (!out.runs.has(h)) out.runs.set(h, { run: state, index })
            })
          }
        }
        this.pump(out).catch((err: unknown) => this.failLocal(out, toShoalError(err)))
        return
      }
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
        for (const msg of await this.nextFrames(out)) {
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

  /**
   * The frames for the next wanted hashes: the plain chunks next in line, read together into
   * the read buffer (so valid until the next call), else one manifest piece or one chunk of a run.
   */
  private async nextFrames(out: Sending): Promise<ChunkFrame[]> {
    const { chunks } = this.opts
    const batch: string[] = []
    let bytes = 0
    for (const hash of out.queue) {
      if (out.pieces.has(hash) || out.runs.has(hash)) break
      bytes += chunks.size(hash) ?? 0 // an absent chunk fails the read below with NOT_FOUND
      if (batch.length > 0 && bytes > this.readBuffer.length) break
      batch.push(hash)
    }
    if (batch.length === 0) return [await this.frameFor(out, out.queue.shift()!)]
    out.queue.splice(0, batch.length)
    const data = chunks.readManyInto(batch, this.readBuffer)
    return batch.map((hash, i): ChunkFrame => ({ type: 'chunk', hash, data: data[i]! }))
  }

  /** The frame that carries `hash`: the chunk itself, or a patch on the old run it replaced. */
  private async frameFor(out: Sending, hash: string): Promise<ChunkFrame> {
    const piece = out.pieces.get(hash)
    if (piece) return { type: 'chunk', hash, data: piece }
    const data = this.opts.chunks.readManyInto([hash], this.readBuffer)[0]!
    const at = out.runs.get(hash)
    if (at === undefined) return { type: 'chunk', hash, data }
    // Aligned once per run; a run this store cannot align (a chunk gone) is sent whole.
    at.run.alignment ??= alignRun(at.run.run, this.source).catch(() => null)
    const alignment = await at.run.alignment
    const pieces = alignment !== null ? patchPieces(alignment, at.index, data) : null
    return pieces === null ? { type: 'chunk', hash, data } : { type: 'patch', hash, pieces }
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

function literalBytes(pieces: PatchPiece[]): number {
  let n = 0
  for (const p of pieces) if ('literal' in p) n += p.literal.byteLength
  return n
}
