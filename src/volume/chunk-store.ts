import { join } from 'node:path'
import { ShoalError } from '../core/errors.js'
import { chunkHash } from './chunk-hash.js'
import { recoverIndex } from './index-recovery.js'
import { OpenPacks } from './open-packs.js'
import { Building, Pack, SPARE_IDLE_MS, SPARE_SLABS, SPARE_SLABS_IDLE, copyOf, type ChunkLocation } from './pack-building.js'
import { disposePack, readSpan, readSpanSync, span } from './pack-reads.js'
import { sealPack } from './pack-seal.js'
import { PackWriter } from './pack-writer.js'

/** New chunks are written out as a pack once this many bytes wait in memory. */
export const PACK_BYTES = 32 * 1024 * 1024
/**
 * Chunks gathering in memory are written to their future pack file in batches of this many
 * bytes, while more arrive (see PackWriter); sealing then writes only the rest.
 */
export const WRITE_AHEAD_BYTES = 4 * 1024 * 1024
/** Packs smaller than this are merged by `compact()` once there are MERGE_SMALL_PACKS of them. */
export const SMALL_PACK_BYTES = 4 * 1024 * 1024
export const MERGE_SMALL_PACKS = 8
/** `readMany` reads chunks lying back to back in a pack together, up to this many bytes a read. */
export const READ_SPAN_BYTES = 1024 * 1024

const HEX64 = /^[0-9a-f]{64}$/

export interface ChunkStoreOptions {
  /** Bytes of new chunks held in memory before they are written out as a pack. */
  packBytes?: number
}

/**
 * Content-addressed chunks, each stored once, in pack files under `<dir>/packs`. New chunks
 * gather in memory and are written out as one pack (one write, one fsync, one rename) when
 * PACK_BYTES have gathered or when `sync()` asks; a crash at any moment leaves at worst a
 * temporary file, removed by `open()`, and never a torn chunk under a pack's name. The index
 * (hash → pack, offset, length) lives in memory and is rebuilt by `open()` from the packs'
 * own indexes. `delete()` forgets a chunk; `compact()` rewrites the packs that hold forgotten
 * chunks and merges small ones.
 */
export class ChunkStore {
  readonly dir: string
  private readonly packDir: string
  private readonly packBytes: number
  private readonly index = new Map<string, ChunkLocation>()
  private readonly packs = new Set<Pack>()
  private readonly openPacks = new OpenPacks()
  private building = new Building()
  private readonly spareSlabs: Buffer[] = []
  private trimTimer: NodeJS.Timeout | null = null
  private writing: Promise<void> = Promise.resolve()
  private opening: Promise<void> | null = null
  /** Damaged packs found by `open()`, renamed aside (`.bad`) rather than deleted. */
  readonly quarantined: string[] = []
  private forgotten = 0

  constructor(dir: string, options: ChunkStoreOptions = {}) {
    this.dir = dir
    this.packDir = join(dir, 'packs')
    this.packBytes = options.packBytes ?? PACK_BYTES
  }

  /** Creates the folder, removes temporary files left by a crash and loads the packs' indexes. Idempotent. */
  open(): Promise<void> {
    this.opening ??= recoverIndex(this.packDir, this.index, this.packs, this.quarantined)
    return this.opening
  }

  has(hash: string): boolean {
    return this.index.has(hash)
  }

  /**
   * Stores `data` under `hash` unless already present. The caller vouches that `hash` is
   * chunkHash(data) (use `putVerified` for untrusted data). Returns true if it was new. The
   * chunk is readable at once and durable after `sync()`. With `owned`, the caller hands the
   * buffer over (it will not change it again) and no copy is made; otherwise the bytes are copied
   * before this returns its promise, so the caller may reuse them at once.
   */
  async put(hash: string, data: Uint8Array, opts: { owned?: boolean } = {}): Promise<boolean> {
    if (!HEX64.test(hash)) throw new ShoalError('BAD_CHUNK', `not a chunk hash: ${hash.slice(0, 80)}`)
    if (this.touch(hash)) return false
    const b = this.building
    const now = Date.now()
    const own = opts.owned ? Buffer.from(data.buffer, data.byteOffset, data.byteLength) : b.copyIn(data, this.spareSlabs)
    b.append(hash, own, now, null)
    this.index.set(hash, { home: b, data: own, offset: 0, length: own.length, storedAt: now, usedAt: now })
    if (b.len >= this.packBytes) await this.flush()
    else if (b.len - b.writtenLen >= WRITE_AHEAD_BYTES) this.writeAhead(b)
    return true
  }

  /** Hands the chunks gathered since the last call to the building's pack file, written meanwhile. */
  private writeAhead(b: Building): void {
    b.writer ??= new PackWriter(this.packDir)
    b.writer.append(b.entries.slice(b.writtenEntries).map((e) => e.data))
    b.writtenEntries = b.entries.length
    b.writtenLen = b.len
  }

  /** Verifies the hash first; throws BAD_CHUNK (storing nothing) when it does not match. */
  async putVerified(hash: string, data: Uint8Array, opts: { owned?: boolean } = {}): Promise<boolean> {
    const actual = chunkHash(data)
    if (actual !== hash) throw new ShoalError('BAD_CHUNK', `chunk ${hash.slice(0, 12)}… does not match its content (${actual.slice(0, 12)}…)`)
    return this.put(hash, data, opts)
  }

  /**
   * Reads a chunk without checking its hash, for senders whose receiver verifies it anyway.
   * Throws NOT_FOUND when absent.
   */
  async read(hash: string): Promise<Buffer> {
    return (await this.readMany([hash]))[0]!
  }

  /**
   * Reads several chunks (in the order asked, NOT_FOUND when one is absent, no hash check).
   * Chunks lying back to back in one pack (as a snapshot's new chunks do, in file order) are
   * read together, up to READ_SPAN_BYTES a read:
   * a full sync asks for tens of thousands of chunks, and each read costs a thread-pool round
   * trip. The buffers returned may be views into a shared one; chunks not yet written out are
   * copies (their slabs are reused once their pack is written).
   */
  async readMany(hashes: readonly string[]): Promise<Buffer[]> {
    const out: Buffer[] = new Array(hashes.length)
    const reads: Array<Promise<void>> = []
    for (let i = 0; i < hashes.length; ) {
      const at = this.locate(hashes[i]!)
      if (at.data !== null) {
        out[i] = copyOf(at.data) // not written out yet
        i++
        continue
      }
      const run = span(this.index, hashes, i, at, READ_SPAN_BYTES)
      reads.push(readSpan(this.openPacks, at.home as Pack, at.offset, run.lengths, i, out))
      i += run.lengths.length
    }
    await Promise.all(reads)
    return out
  }

  /**
   * Reads chunks synchronously into `into`, back to back from its start, and returns views of
   * it in the order asked (no hash check). For a caller that is done with the bytes before it
   * reads into `into` again: no thread-pool round trip per read and no fresh memory, which on a
   * VM costs more than the read itself when the chunks sit in the page cache (as the chunks of
   * the snapshot just taken do). Throws NOT_FOUND when one is absent, INTERNAL when they do not
   * fit in `into`.
   */
  readManyInto(hashes: readonly string[], into: Buffer): Buffer[] {
    const out: Buffer[] = []
    let at = 0
    for (let i = 0; i < hashes.length; ) {
      const first = this.locate(hashes[i]!)
      if (at + first.length > into.length) throw new ShoalError('INTERNAL', `chunks to read exceed the ${into.length}-byte buffer`)
      if (first.data !== null) {
        into.set(first.data, at)
        out.push(into.subarray(at, at + first.length))
        at += first.length
        i++
        continue
      }
      const { lengths } = span(this.index, hashes, i, first, into.length - at)
      readSpanSync(this.openPacks, first.home as Pack, first.offset, lengths.reduce((n, l) => n + l, 0), into, at)
      for (const length of lengths) {
        out.push(into.subarray(at, at + length))
        at += length
      }
      i += lengths.length
    }
    return out
  }

  /** One chunk, read synchronously into a buffer of its own (see readManyInto). */
  readSync(hash: string): Buffer {
    return this.readManyInto([hash], Buffer.allocUnsafe(this.locate(hash).length))[0]!
  }

  private locate(hash: string): ChunkLocation {
    const at = this.index.get(hash)
    if (at === undefined) throw new ShoalError('NOT_FOUND', `chunk ${hash.slice(0, 12)}… is not in the store`)
    return at
  }

  /** Reads a chunk and checks its hash, so disk corruption is reported instead of copied. */
  async get(hash: string): Promise<Buffer> {
    const data = await this.read(hash)
    if (chunkHash(data) !== hash) throw new ShoalError('BAD_CHUNK', `stored chunk ${hash.slice(0, 12)}… is corrupt`)
    return data
  }

  /**
   * Marks a stored chunk as just found present, as `put` of a known chunk does (collection spares
   * it for the grace period: a snapshot being taken may name it); false when it is not stored.
   */
  touch(hash: string): boolean {
    const at = this.index.get(hash)
    if (at === undefined) return false
    at.usedAt = Date.now()
    return true
  }

  /** Size in bytes of a stored chunk, or undefined when it is not stored. */
  size(hash: string): number | undefined {
    return this.index.get(hash)?.length
  }

  /** Number of chunks stored (written out or not). */
  get count(): number {
    return this.index.size
  }

  /** Pack files on disk, with their sizes. */
  packFiles(): Array<{ name: string; bytes: number; chunks: number; live: number }> {
    return [...this.packs].map((p) => ({ name: p.name, bytes: p.size, chunks: p.entries, live: p.live }))
  }

  /**
   * Makes the given chunks durable: writes out the chunks still in memory as a pack (fsynced).
   * Throws NOT_FOUND if one of them is not stored at all.
   */
  async sync(hashes: Iterable<string>): Promise<void> {
    await this.flush()
    for (const h of hashes) {
      if (!(this.index.get(h)?.home instanceof Pack)) throw new ShoalError('NOT_FOUND', `chunk ${h.slice(0, 12)}… is not in the store`)
    }
  }

  /**
   * Writes out what waits in memory (if anything) and waits for every pack being written.
   * Rejects if writing these chunks failed (they are then forgotten, as if never stored).
   */
  flush(): Promise<void> {
    const b = this.building
    if (b.entries.length === 0) return this.writing
    this.building = new Building()
    return this.queueSeal(b).then(() => undefined)
  }

  /** Every stored chunk with the last time it was stored or found present (for GC grace). */
  async *list(): AsyncGenerator<{ hash: string; mtimeMs: number }> {
    for (const [hash, at] of [...this.index]) yield { hash, mtimeMs: Math.max(at.storedAt, at.usedAt) }
  }

  /**
   * Counts the times chunks left the store since it was opened (deleted, or a pack that failed
   * to be written): while it stays the same, every chunk once found here still is.
   */
  get removals(): number {
    return this.forgotten
  }

  /** Forgets a chunk; its bytes leave the disk at the next `compact()`. */
  async delete(hash: string): Promise<void> {
    const at = this.index.get(hash)
    if (at === undefined) return
    this.forgotten++
    this.index.delete(hash)
    if (at.home instanceof Pack) at.home.live--
  }

  /**
   * Rewrites every pack holding deleted chunks with only its live ones (a pack with none left
   * is removed) and merges small packs once there are enough of them. Returns the disk bytes freed.
   */
  async compact(): Promise<{ packsRemoved: number; bytesFreed: number }> {
    await this.flush()
    const small = [...this.packs].filter((p) => p.live === p.entries && p.size < SMALL_PACK_BYTES)
    const merge = small.length >= MERGE_SMALL_PACKS
    const victims = new Set([...this.packs].filter((p) => p.live < p.entries || (merge && small.includes(p))))
    if (victims.size === 0) return { packsRemoved: 0, bytesFreed: 0 }
    const sealing: Promise<Pack | null>[] = []
    let b = new Building()
    for (const [hash, at] of [...this.index]) {
      if (!(at.home instanceof Pack) || !victims.has(at.home)) continue
      const from = at.home
      const data = await this.read(hash)
      if (this.index.get(hash)?.home !== from) continue
      b.append(hash, data, at.storedAt, from)
      if (b.len >= this.packBytes) {
        sealing.push(this.queueSeal(b))
        b = new Building()
      }
    }
    if (b.entries.length > 0) sealing.push(this.queueSeal(b))
    const written = await Promise.all(sealing)
    let bytesFreed = -written.reduce((n, p) => n + (p?.size ?? 0), 0)
    let packsRemoved = -written.length
    const removals: Array<Promise<void>> = []
    for (const pack of victims) {
      if (pack.live > 0) continue // a chunk still lives only there (its rewrite failed): keep it
      this.packs.delete(pack)
      pack.retired = true
      // A pack still being read goes when its last read ends (see read).
      if (pack.readers === 0) removals.push(disposePack(this.openPacks, pack))
      bytesFreed += pack.size
      packsRemoved++
    }
    await Promise.all(removals)
    return { packsRemoved, bytesFreed }
  }

  /** Lets go of most spare slabs once no pack was written for SPARE_IDLE_MS. */
  private trimSparesWhenIdle(): void {
    if (this.trimTimer !== null) {
      this.trimTimer.refresh()
      return
    }
    this.trimTimer = setTimeout(() => {
      this.trimTimer = null
      this.spareSlabs.length = Math.min(this.spareSlabs.length, SPARE_SLABS_IDLE)
    }, SPARE_IDLE_MS)
    this.trimTimer.unref()
  }

  private queueSeal(b: Building): Promise<Pack | null> {
    const sealed = this.writing.then(() =>
      sealPack(b, this.packDir, this.index, this.packs).catch((err: unknown) => {
        this.forgotten++ // its chunks were forgotten (see sealPack)
        throw err
      })
    )
    // Written out or forgotten, the building's chunks are no longer read from its slabs.
    void sealed
      .finally(() => {
        b.releaseSlabs(this.spareSlabs, SPARE_SLABS)
        this.trimSparesWhenIdle()
      })
      .catch(() => undefined)
    // The queue itself never rejects: each caller hears about its own pack.
    this.writing = sealed.then(
      () => undefined,
      () => undefined
    )
    return sealed
  }
}
