import { ShoalError, isErrorCode } from '../core/errors.js'
import type { Manifest, ManifestEntry, Snapnode } from '../core/snapnode.js'
import { MAX_MANIFEST_BYTES, decodeManifestBounded } from '../protocol/manifest-codec.js'
import { MAX_CHUNK_BYTES, PUSH_AHEAD_BYTES, decodeReplication, encodeReplication, type ChunkRun, type ReplicationMessage } from '../protocol/volume-messages.js'
import { patchFromStore } from './chunk-patch.js'
import { byFirstChunk, changedRuns, lackingChunks, runsFor } from './chunk-runs.js'
import { chunkHash } from './chunk-hash.js'
import type { ChunkStore } from './chunk-store.js'
import type { Link } from './link.js'
import { assembleManifest, knownPieces, type KnownPiece } from './manifest-assembly.js'
import { checkChunkSizes, checkManifest, type ManifestLimits } from './manifest-check.js'
import { snapshotId } from './snapshot-id.js'
import type { SnapshotStore } from './snapshot-store.js'
import { ProgressMeter, type ReplicationProgress } from './transfer-progress.js'

/** No frame for this long while chunks are outstanding: the transfer fails with STREAM_STALLED. */
export const STALL_TIMEOUT_MS = 30_000
/** Hashes per want frame. */
export const WANT_BATCH = 128
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

interface Transfer {
  snapnode: Snapnode
  manifestSize: number
  pieces: string[]
  /** Manifest pieces at hand: from a local manifest, then as received. Kept in memory only. */
  pieceData: Map<string, Uint8Array>
  phase: 'manifest' | 'chunks' | 'commit'
  pending: string[]
  outstanding: Set<string>
  /** Chunks handed to the store whose put has not settled. */
  writing: number
  stored: string[]
  manifest: Manifest | null
  manifestBytes: Buffer | null
  /** Where the manifest's header and entries end in its bytes (for cutting it into pieces). */
  manifestEnds: number[] | null
  /** The manifest passed checkManifest. */
  checked: boolean
  meter: ProgressMeter
  done: boolean
  loading: boolean
  /** The sender takes bases and answers with patches. */
  patches: boolean
  /** The local snapshot whose manifest the pieces came from: where bases are looked for. */
  base: string | null
  /** Runs to name in wants, by the hash of their first chunk. */
  runs: Map<string, ChunkRun[]>
  /** Pieces of the local manifest the offered one is read against (see manifest-assembly.ts). */
  known: Map<string, KnownPiece>
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

  private async start(offer: Extract<ReplicationMessage, { type: 'offer' }>): Promise<void> {
    const { chunks, snapshots } = this.opts
    const snapnode = offer.snapnode
    await snapshots.open()
    if (snapshots.has(snapnode.id)) {
      this.send(this.ack(snapnode.id))
      this.opts.onCommit?.(snapshots.get(snapnode.id)!)
      return
    }
    if (offer.manifestSize > MAX_MANIFEST_BYTES || offer.manifestPieces.length > offer.manifestSize || offer.manifestPieces.length * MAX_CHUNK_BYTES < offer.manifestSize) {
      throw new ShoalError('BAD_MANIFEST', `manifest of ${offer.manifestSize} bytes in ${offer.manifestPieces.length} pieces is impossible`)
    }
    await this.opts.accept?.(snapnode)
    const t: Transfer = {
      snapnode,
      manifestSize: offer.manifestSize,
      pieces: offer.manifestPieces,
      pieceData: new Map(),
      phase: 'manifest',
      pending: [],
      outstanding: new Set(),
      writing: 0,
      stored: [],
      manifest: null,
      manifestBytes: null,
      manifestEnds: null,
      checked: false,
      meter: new ProgressMeter(snapnode.id),
      done: false,
      loading: false,
      patches: offer.patches === true,
      base: null,
      runs: new Map(),
      known: new Map()
    }
    if (this.transfer !== null || this.closed) return // a newer offer came in while we waited
    this.transfer = t
    // Most of a new manifest is unchanged from its parent (or our newest one): take those pieces
    // from the local copy and fetch only the rest.
    const local = snapshotsHave(snapshots, snapnode.parent) ?? snapshots.head()?.id ?? null
    if (local) {
      const pieces = await snapshots.readPieces(local)
      for (const p of pieces) t.pieceData.set(p.hash, p.data)
      if (t.patches) t.base = local
      const decoded = await snapshots.readManifestBounded(local)
      t.known = knownPieces(pieces, decoded.manifest, decoded.ends)
    }
    // Pieces of any other manifest this node keeps are chunks in its store too. More bytes
    // than the offered manifest's size cannot all be its pieces: an offer naming them is a lie.
    let held = 0
    for (const h of new Set(offer.manifestPieces)) {
      if (t.pieceData.has(h) || !chunks.has(h)) continue
      held += chunks.size(h) ?? 0
      if (held > offer.manifestSize) throw new ShoalError('BAD_MANIFEST', `offer names more manifest pieces than its ${offer.manifestSize} bytes can hold`)
      t.pieceData.set(h, await chunks.get(h))
    }
    if (this.transfer !== t) return
    t.pending = [...new Set(offer.manifestPieces)].filter((h) => !t.pieceData.has(h))
    t.meter.totalChunks = t.pending.length
    this.lastFrameAt = Date.now()
    this.advance(t)
  }

  private onChunk(hash: string, data: Uint8Array): void {
    const t = this.transfer
    if (!t || !t.outstanding.has(hash)) {
      this.onPushed(hash, () => data)
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
      this.onPushed(msg.hash, () => (msg.pieces.every((p) => !('base' in p) || chunks.has(p.base)) ? patchFromStore(msg.pieces, chunks) : null))
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
   * A chunk nobody asked for: pushed ahead of an offer (see the ack's `push`), or left over from
   * an aborted transfer. Kept once its hash checks out, up to PUSH_AHEAD_BYTES between offers
   * (the offer then finds it stored and does not ask for it); one this node holds, one over that
   * budget or a patch on a chunk it does not hold is dropped (the offer asks for it if needed).
   * A bad one is reported, and leaves any transfer alone.
   */
  private onPushed(hash: string, bytes: () => Uint8Array | null): void {
    const { chunks } = this.opts
    if (this.opts.pushAhead === false || chunks.has(hash) || this.pushed >= PUSH_AHEAD_BYTES) return
    let data: Uint8Array | null
    try {
      data = bytes()
    } catch {
      return
    }
    if (data === null) return
    if (data.byteLength > MAX_CHUNK_BYTES || chunkHash(data) !== hash) {
      this.opts.onError?.(new ShoalError('BAD_CHUNK', `pushed chunk ${hash.slice(0, 12)}… does not match its hash`), null)
      return
    }
    this.pushed += data.byteLength
    chunks.put(hash, data).catch((err: unknown) => this.opts.onError?.(toShoalError(err), null))
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
    for (;;) {
      const room = window - t.outstanding.size - t.writing
      if (t.pending.length === 0 || room < Math.min(WANT_BATCH, t.pending.length)) break
      const batch = t.pending.splice(0, Math.min(room, WANT_BATCH))
      for (const h of batch) t.outstanding.add(h)
      const want: ReplicationMessage = { type: 'want', id: t.snapnode.id, total: t.meter.totalChunks, hashes: batch }
      if (t.runs.size > 0) {
        const runs = runsFor(t.runs, batch)
        if (runs.length > 0) want.runs = runs
      }
      this.send(want)
    }
    if (t.pending.length || t.outstanding.size || t.writing) return
    if (t.phase === 'manifest') t.loading = true
    const next = t.phase === 'manifest' ? this.loadManifest(t) : this.commit(t)
    next.catch((err: unknown) => this.fail(t, toShoalError(err), true))
  }

  private async loadManifest(t: Transfer): Promise<void> {
    t.phase = 'chunks'
    t.loading = false
    const { chunks } = this.opts
    const pieces = t.pieces.map((hash) => ({ hash, data: t.pieceData.get(hash)! }))
    const bytes = Buffer.concat(pieces.map((p) => p.data))
    t.pieceData.clear()
    if (bytes.byteLength !== t.manifestSize) throw new ShoalError('BAD_MANIFEST', `manifest is ${bytes.byteLength} bytes, offer said ${t.manifestSize}`)
    // Entries of pieces the local manifest has are taken from it; only the rest is decoded, and
    // only those entries can name chunks this node lacks (it holds every chunk of its snapshots;
    // the commit looks at every entry again, in case one went meanwhile).
    const assembled = t.known.size > 0 ? assembleManifest(pieces, t.known) : null
    t.known.clear()
    let manifest: Manifest
    let ends: number[]
    let fresh: ManifestEntry[]
    if (assembled !== null) ({ manifest, ends, fresh } = assembled)
    else {
      try {
        ;({ manifest, ends } = decodeManifestBounded(bytes))
      } catch (err) {
        throw new ShoalError('BAD_MANIFEST', `manifest does not decode: ${(err as Error).message}`)
      }
      fresh = manifest.entries
    }
    if (snapshotId(bytes, t.snapnode) !== t.snapnode.id) throw new ShoalError('BAD_MANIFEST', 'snapshot id does not match its manifest and lineage')
    if (this.transfer !== t) return
    t.manifest = manifest
    t.manifestBytes = bytes
    t.manifestEnds = ends
    const lacking = lackingChunks({ entries: fresh }, (h) => chunks.has(h))
    t.pending = lacking.hashes
    if (t.base !== null && t.pending.length > 0) {
      const wanted = new Set(t.pending)
      const base = await this.opts.snapshots.readManifest(t.base)
      if (this.transfer !== t) return
      // Only files naming a lacking chunk can hold a run of them.
      t.runs = byFirstChunk(changedRuns({ entries: lacking.files }, base, (h) => wanted.has(h)))
    }
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
    // may also have gone since (collected with a pruned snapshot): fetch those now.
    const missing: string[] = []
    checkChunkSizes(manifest, (h) => chunks.size(h), missing)
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

function snapshotsHave(snapshots: SnapshotStore, id: string | null): string | null {
  return id !== null && snapshots.has(id) ? id : null
}

export function toShoalError(err: unknown): ShoalError {
  if (err instanceof ShoalError) return err
  return new ShoalError('INTERNAL', (err as Error)?.message ?? String(err), { cause: err })
}
