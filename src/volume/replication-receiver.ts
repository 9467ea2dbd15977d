import { ShoalError, isErrorCode, toShoalError } from '../core/errors.js'
import type { Snapnode } from '../core/snapnode.js'
import { MAX_CHUNK_BYTES, decodeReplication, encodeReplication, type ReplicationMessage } from '../protocol/volume-messages.js'
import { patchFromStore } from './chunk-patch.js'
import { chunkHash } from './chunk-hash.js'
import type { ChunkStore } from './chunk-store.js'
import { newTransfer, type Offer, type Transfer } from './incoming-transfer.js'
import type { Link } from './link.js'
import { checkChunkSizes, checkManifest, type ManifestLimits } from './manifest-check.js'
import { assembleOffered, checkOffer, takeLocalPieces } from './offered-manifest.js'
import { keepPushed } from './pushed-chunks.js'
import type { SnapshotStore } from './snapshot-store.js'
import { ProgressMeter, type ReplicationProgress } from './transfer-progress.js'
import { nextWant, planChunks } from './want-planning.js'

export { WANT_BATCH } from './want-planning.js'

/** No frame for this long while chunks are outstanding: the transfer fails with STREAM_STALLED. */
export const STALL_TIMEOUT_MS = 30_000
/** Chunks requested but not yet written, at most (bounds memory: ~WINDOW × average chunk). */
export const WINDOW_CHUNKS = 512
const NO_ID = '0'.repeat(64)

export interface ReceiverOptions {
  link: Link
  chunks: ChunkStore
  snapshots: SnapshotStore
  /** This node's id (hex); added to the holders of every snapshot it commits. */
  self: string
  stallTimeoutMs?: number
  windowChunks?: number
  limits?: Partial<ManifestLimits>
  /** Called before fetching an offered snapshot; throw (a ShoalError) to refuse it. */
  accept?: (snapnode: Snapnode) => void | Promise<void>
  onProgress?: (p: ReplicationProgress) => void
  /** A snapshot is committed (and acknowledged to the sender). */
  onCommit?: (snapnode: Snapnode) => void
  /** A transfer failed; the receiver stays usable for the next offer. */
  onError?: (err: ShoalError, id: string | null) => void
  /** Ask senders to push the next snapshot's new chunks ahead of its offer (default true). */
  pushAhead?: boolean
}

/**
 * The replica's end of one replication link. For each offer it fetches the manifest pieces it
 * lacks (pieces of its local copy of the parent's manifest are reused), fetches the chunks it
 * lacks within a window while it checks the manifest (BAD_MANIFEST), verifies each chunk's hash
 * (BAD_CHUNK), then makes them durable, commits the snapshot atomically and
 * acknowledges. Chunks already stored (from any earlier, even interrupted, transfer) are never
 * requested again. A failed transfer commits nothing; the receiver then waits for the next offer.
 */
export class ReplicationReceiver {
  private readonly opts: ReceiverOptions
  private transfer: Transfer | null = null
  private lastFrameAt = Date.now()
  private readonly timer: NodeJS.Timeout
  private closed = false
  /** Bytes of pushed chunks kept since the last offer. */
  private pushed = 0
  /**
   * The snapshot this receiver last committed, all of whose chunks it found in the store, and
   * the store's removals count then (see commit).
   */
  private checkedAll: { id: string; removals: number } | null = null

  constructor(opts: ReceiverOptions) {
    this.opts = opts
    const stall = opts.stallTimeoutMs ?? STALL_TIMEOUT_MS
    this.timer = setInterval(() => this.checkStall(stall), Math.max(10, Math.floor(stall / 4)))
    this.timer.unref()
    opts.link.setHandler({
      onFrame: (f) => this.onFrame(f),
      onDrain: () => undefined,
      onClose: () => this.onClose()
    })
  }

  /** The transfer in progress, if any. */
  get current(): ReplicationProgress | null {
    const t = this.transfer
    return t ? t.meter.snapshot(t.phase) : null
  }

  close(): void {
    if (this.closed) return
    this.closed = true
    clearInterval(this.timer)
    this.abort()
    this.opts.link.close()
  }

  private onClose(): void {
    const t = this.transfer
    if (t && !t.done) this.fail(t, new ShoalError('LINK_CLOSED', 'replication link closed mid-transfer; it resumes on the next offer'), false)
    this.closed = true
    clearInterval(this.timer)
  }

  private onFrame(frame: Uint8Array): void {
    this.lastFrameAt = Date.now()
    let msg: ReplicationMessage
    try {
      msg = decodeReplication(frame)
    } catch (err) {
      this.fail(this.transfer, err as ShoalError, true)
      return
    }
    switch (msg.type) {
      case 'offer':
        this.pushed = 0
        this.abort()
        this.start(msg).catch((err: unknown) => this.failFor(msg.snapnode.id, err))
        return
      case 'chunk':
        this.onChunk(msg.hash, msg.data)
        return
      case 'patch':
        this.onPatch(msg)
        return
      case 'error': {
        const t = this.transfer
        if (t && t.snapnode.id === msg.id) {
          const code = isErrorCode(msg.code) ? msg.code : 'INTERNAL'
          this.fail(t, new ShoalError(code, `sender: ${msg.message}`), false)
        }
        return
      }
      default:
        this.fail(this.transfer, new ShoalError('BAD_FRAME', `unexpected ${msg.type} frame at a receiver`), true)
    }
  }

  private async start(offer: Offer): Promise<void> {
    const { chunks, snapshots } = this.opts
    const snapnode = offer.snapnode
    await snapshots.open()
    if (snapshots.has(snapnode.id)) {
      this.send(this.ack(snapnode.id))
      this.opts.onCommit?.(snapshots.get(snapnode.id)!)
      return
    }
    checkOffer(offer)
    await this.opts.accept?.(snapnode)
    const t = newTransfer(offer)
    if (this.transfer !== null || this.closed) return // a newer offer came in while we waited
    this.transfer = t
    await takeLocalPieces(t, snapshots, chunks)
    if (this.transfer !== t) return
    t.pending = [...new Set(offer.manifestPieces)].filter((h) => !t.pieceData.has(h))
    t.meter.totalChunks = t.pending.length
    this.lastFrameAt = Date.now()
    this.advance(t)
  }

  private onChunk(hash: string, data: Uint8Array): void {
    const t = this.transfer
    if (!t || !t.outstanding.has(hash)) {
      this.pushed += keepPushed(this.opts, this.pushed, hash, () => data)
      return
    }
    if (data.byteLength > MAX_CHUNK_BYTES || chunkHash(data) !== hash) {
      this.fail(t, new ShoalError('BAD_CHUNK', `chunk ${hash.slice(0, 12)}… does not match its hash`), true)
      return
    }
    this.verified(t, hash, data)
  }

  /** A chunk sent as pieces of chunks this node holds and new bytes. */
  private onPatch(msg: Extract<ReplicationMessage, { type: 'patch' }>): void {
    const t = this.transfer
    const { chunks } = this.opts
    if (!t || !t.outstanding.has(msg.hash)) {
      this.pushed += keepPushed(this.opts, this.pushed, msg.hash, () => (msg.pieces.every((p) => !('base' in p) || chunks.has(p.base)) ? patchFromStore(msg.pieces, chunks) : null))
      return
    }
    if (t.phase !== 'chunks' || msg.pieces.some((p) => 'base' in p && !chunks.has(p.base))) {
      this.fail(t, new ShoalError('BAD_CHUNK', `patch for ${msg.hash.slice(0, 12)}… copies from a chunk this node does not hold`), true)
      return
    }
    let data: Buffer
    try {
      data = patchFromStore(msg.pieces, chunks) // the store copies it (see verified)
    } catch (err) {
      this.fail(t, toShoalError(err), true)
      return
    }
    if (chunkHash(data) !== msg.hash) {
      this.fail(t, new ShoalError('BAD_CHUNK', `patched chunk ${msg.hash.slice(0, 12)}… does not match its hash`), true)
      return
    }
    this.verified(t, msg.hash, data)
  }

  /**
   * A chunk whose hash checked out. `data` may be the frame's memory, which the transport may
   * reuse once the frame's handler returns: it is copied (the store's put copies before it
   * returns its promise).
   */
  private verified(t: Transfer, hash: string, data: Uint8Array): void {
    t.outstanding.delete(hash)
    if (t.phase === 'manifest') {
      t.pieceData.set(hash, Buffer.from(data))
      t.meter.add(data.byteLength)
      this.advance(t)
      return
    }
    // Verified chunks are stored even if the transfer is aborted meanwhile: a resumed transfer
    // then need not fetch them again.
    t.writing++
    this.opts.chunks.put(hash, data).then(
      () => {
        t.writing--
        if (this.transfer !== t) return
        t.stored.push(hash)
        t.meter.add(data.byteLength)
        this.opts.onProgress?.(t.meter.snapshot(t.phase))
        this.advance(t)
      },
      (err: unknown) => {
        t.writing--
        this.fail(t, toShoalError(err), true)
      }
    )
  }

  /** Requests more within the window, or moves to the next phase when everything is in. */
  private advance(t: Transfer): void {
    if (this.transfer !== t || t.phase === 'commit' || t.loading) return
    const window = this.opts.windowChunks ?? WINDOW_CHUNKS
    for (let want = nextWant(t, window); want !== null; want = nextWant(t, window)) this.send(want)
    if (t.pending.length || t.outstanding.size || t.writing) return
    if (t.phase === 'manifest') t.loading = true
    const next = t.phase === 'manifest' ? this.loadManifest(t) : this.commit(t)
    next.catch((err: unknown) => this.fail(t, toShoalError(err), true))
  }

  private async loadManifest(t: Transfer): Promise<void> {
    t.phase = 'chunks'
    t.loading = false
    const { chunks } = this.opts
    // Only the entries decoded (`fresh`) can name chunks this node lacks: it holds every chunk
    // of its snapshots (the commit looks at every entry again, in case one went meanwhile).
    const { bytes, manifest, ends, fresh } = assembleOffered(t)
    if (this.transfer !== t) return
    t.manifest = manifest
    t.manifestBytes = bytes
    t.manifestEnds = ends
    t.fresh = fresh
    await planChunks(t, fresh, chunks, this.opts.snapshots)
    if (this.transfer !== t) return
    t.meter = new ProgressMeter(t.snapnode.id)
    t.meter.totalChunks = t.pending.length
    this.lastFrameAt = Date.now()
    this.opts.onProgress?.(t.meter.snapshot(t.phase))
    // The first wants go out before the manifest is checked, and the check runs while their
    // chunks are on the way: nothing about it is used until the commit, which checks it first
    // if it was not yet (a transfer with nothing to fetch commits straight from advance).
    this.advance(t)
    checkManifest(manifest, this.opts.limits)
    t.checked = true
  }

  private async commit(t: Transfer): Promise<void> {
    t.phase = 'commit'
    const { chunks, snapshots, self } = this.opts
    const manifest = t.manifest!
    if (!t.checked) checkManifest(manifest, this.opts.limits)
    // Only the entries decoded were looked at for chunks to fetch; a chunk of another entry
    // may also have gone since (collected with a pruned snapshot): fetch those now. Unless the
    // others are the entries of the snapshot last committed here, whose chunks were all found
    // then, and no chunk left the store since.
    const v = this.checkedAll
    const removals = chunks.removals
    const trusted = v !== null && v.id === t.knownFrom && v.removals === removals
    const missing: string[] = []
    checkChunkSizes(trusted ? { entries: t.fresh } : manifest, (h) => chunks.size(h), missing)
    if (missing.length > 0) {
      t.phase = 'chunks'
      t.pending = [...new Set(missing)]
      t.meter.totalChunks += t.pending.length
      this.advance(t)
      return
    }
    if (this.transfer !== t) return
    const committed = await snapshots.commit({ ...t.snapnode, holders: [...t.snapnode.holders, self] }, t.manifestBytes!, {
      chunks: t.stored,
      ends: t.manifestEnds,
      manifest
    })
    t.done = true
    this.transfer = null
    this.checkedAll = { id: committed.id, removals }
    this.send(this.ack(committed.id))
    this.opts.onProgress?.(t.meter.snapshot('done'))
    this.opts.onCommit?.(committed)
  }

  private ack(id: string): ReplicationMessage {
    const ack: ReplicationMessage = { type: 'ack', id, holder: this.opts.self }
    if (this.opts.pushAhead !== false) ack.push = true
    return ack
  }

  private checkStall(timeoutMs: number): void {
    const t = this.transfer
    if (!t || t.outstanding.size === 0) return
    if (Date.now() - this.lastFrameAt > timeoutMs) {
      this.fail(t, new ShoalError('STREAM_STALLED', `no data for ${timeoutMs} ms while receiving ${t.snapnode.id.slice(0, 12)}…`), true)
    }
  }

  private abort(): void {
    const t = this.transfer
    if (t) t.done = true
    this.transfer = null
  }

  private failFor(id: string, err: unknown): void {
    const e = toShoalError(err)
    if (this.transfer && this.transfer.snapnode.id === id) this.abort()
    this.send({ type: 'error', id, code: e.code, message: e.message.slice(0, 1000) })
    this.opts.onError?.(e, id)
  }

  private fail(t: Transfer | null, err: ShoalError, tellSender: boolean): void {
    if (t && (t.done || this.transfer !== t)) return
    this.abort()
    const id = t?.snapnode.id ?? null
    if (tellSender) this.send({ type: 'error', id: id ?? NO_ID, code: err.code, message: err.message.slice(0, 1000) })
    this.opts.onError?.(err, id)
  }

  private send(msg: ReplicationMessage): void {
    if (!this.closed) this.opts.link.send(encodeReplication(msg))
  }
}
