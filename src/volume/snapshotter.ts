import { lstat, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { ShoalError } from '../core/errors.js'
import { comparePaths, type Manifest, type ManifestEntry, type Snapnode } from '../core/snapnode.js'
import { encodeManifestBounded } from '../protocol/manifest-codec.js'
import type { ChunkStore } from './chunk-store.js'
import { runLimited } from './run-limited.js'
import { DEFAULT_CHUNKER, type ChunkerParams } from './chunker.js'
import { FileReader, MAX_REREADS, type ReadFile, type ReadTally } from './file-reader.js'
import { writeFileAtomic } from './fs-atomic.js'
import { relist } from './relist.js'
import { snapshotId } from './snapshot-id.js'
import type { SnapshotStore } from './snapshot-store.js'
import { walkTree, type Found } from './tree-walk.js'

/** Files read at once (see FileReader for how). */
export const READ_CONCURRENCY = 4
/**
 * A file read with timestamps this close to the snapshot's start is read again next time: a
 * write after our read could leave the same timestamps (same clock tick) and the same size. A
 * timestamp with a sub-second part comes from a fine-grained clock (Linux stamps files with its
 * coarse clock: one tick, 1–10 ms), so FINE_RACY_MS covers it with room to spare. A whole-second
 * timestamp may come from a file system that keeps only seconds (or two, FAT): RACY_MS.
 */
export const RACY_MS = 2000
export const FINE_RACY_MS = 50
/**
 * The stat cache is written out at most this often (a busy volume snapshots every second, and
 * writing ten thousand files' stats each time costs more than the snapshot's own listing).
 */
export const STAT_CACHE_SAVE_MS = 30_000
/**
 * A periodic save waits this long after its snapshot: encoding ten thousand files' stats takes
 * the thread for tens of milliseconds, which would otherwise delay sending that snapshot.
 */
export const STAT_CACHE_SAVE_DELAY_MS = 1_000

export interface SnapshotterOptions {
  /** The live volume folder. */
  root: string
  chunks: ChunkStore
  snapshots: SnapshotStore
  /** This node's id (hex): the origin of the snapshots it takes. */
  origin: string
  /** Where the per-volume stat cache is kept (default: <snapshots.dir>/stat-cache.json). */
  statCachePath?: string
  chunker?: ChunkerParams
  readConcurrency?: number
  maxRereads?: number
  /** See RACY_MS (whole-second timestamps) and FINE_RACY_MS (the others). */
  racyMs?: number
  fineRacyMs?: number
  /** See STAT_CACHE_SAVE_MS. */
  statCacheSaveMs?: number
  /** Called after each read of a file, before it is re-checked (observation and tests). */
  onRead?: (path: string, attempt: number) => void | Promise<void>
}

export interface SnapshotStats {
  entries: number
  filesRead: number
  bytesRead: number
  /** Of those, bytes recognised as chunks of the files' previous versions by comparison. */
  bytesMatched: number
  newChunks: number
  newBytes: number
  /** Entries left out, with why (escaping symlinks, sockets, unsupported names). */
  skipped: Array<{ path: string; reason: string }>
  durationMs: number
  /** Where the time went: listing the tree, reading changed files, committing (ms). */
  phases: { walkMs: number; readMs: number; commitMs: number }
  /** The whole tree was listed, or only the paths reported changed (see SnapshotArgs.changed). */
  listing: 'whole' | 'changed'
}

export interface SnapshotArgs {
  epoch: number
  /** Default: the store's head. */
  parent?: string | null
  /** Default: the parent's seq + 1. */
  seq?: number
  time?: number
  /** Commit even when nothing changed since the parent. */
  force?: boolean
  /**
   * Paths (relative to the folder) a file-system watch reported changed since this snapshotter
   * last listed it. Given, and when the parent is that last listing, only these paths, the
   * folders on the way to them, what is new in those folders and the files whose last read was
   * racy are looked at; the rest is taken over from the parent. Absent: the whole tree is listed.
   */
  changed?: Iterable<string>
}

export interface SnapshotResult {
  snapnode: Snapnode
  manifest: Manifest
  /** False when nothing changed since the parent: the parent is returned and nothing is committed. */
  changed: boolean
  stats: SnapshotStats
}

/**
 * A file a snapshot is reading: its chunks so far, the ones among them new to the chunk store,
 * and its chunks in the snapshot's parent when known. Told as a large file is read (`settled`
 * false: more chunks follow) and once it is read and re-checked (`settled`), before the snapshot
 * is committed, so a sender can push new chunks to replicas that hold the parent while the rest
 * is read. A file that changed while it was read is read again: what was told about it then
 * may not be in the snapshot.
 */
export interface FileSettled {
  /** The snapshot being taken is a child of this one. */
  parent: string | null
  path: string
  chunks: readonly string[]
  newChunks: readonly string[]
  previous: readonly string[] | null
  settled: boolean
}

/** A file's stat when last read, with its chunks: trusted while the stat stays the same. */
type CachedFile = ReadFile

interface PersistedCache {
  snapshot: string
  files: Record<string, [size: number, mtimeMs: number, ctimeMs: number, ino: number]>
}

/**
 * Takes snapshots of one live folder. Files whose size, mtime, ctime and inode match the stat
 * cache are not read; others are read, chunked, hashed and re-checked after reading (read again
 * if they changed meanwhile), so no file in a snapshot is torn. One snapshot at a time.
 */
export class Snapshotter {
  private readonly opts: Required<Omit<SnapshotterOptions, 'statCachePath' | 'onRead'>> & Pick<SnapshotterOptions, 'onRead'> & { statCachePath: string }
  private cache: Map<string, CachedFile> | null = null
  private busy: Promise<unknown> = Promise.resolve()
  /**
   * The newest manifest this snapshotter produced or compared, to spare re-reading it; with
   * `listing` when it is exactly what the last listing of the folder found (and `ends`, where
   * its entries end in `bytes`, when they are known: the next encoding copies from them).
   */
  private last: { id: string; bytes: Buffer; ends?: number[]; listing?: Manifest } | null = null
  /** Files the last snapshot read but could not trust the stat cache for next time (racy, uncached). */
  private recheck = new Set<string>()
  /** When the stat cache was last written out (performance.now(); -Infinity: never). */
  private cacheSavedAt = -Infinity
  private cacheSaving: Promise<unknown> = Promise.resolve()
  private readonly reader: FileReader
  private readonly settledListeners = new Set<(f: FileSettled) => void>()

  constructor(opts: SnapshotterOptions) {
    this.opts = {
      chunker: DEFAULT_CHUNKER,
      readConcurrency: READ_CONCURRENCY,
      maxRereads: MAX_REREADS,
      racyMs: RACY_MS,
      fineRacyMs: FINE_RACY_MS,
      statCacheSaveMs: STAT_CACHE_SAVE_MS,
      statCachePath: join(opts.snapshots.dir, 'stat-cache.json'),
      ...opts
    }
    const { root, chunks, chunker, maxRereads, onRead } = this.opts
    this.reader = new FileReader({ root, chunks, chunker, maxRereads, onRead })
  }

  /** Calls `listener` for each file a snapshot reads, once settled (see FileSettled); returns how to stop. */
  watchReads(listener: (f: FileSettled) => void): () => void {
    this.settledListeners.add(listener)
    return () => this.settledListeners.delete(listener)
  }

  /**
   * Snapshots the folder as the child of `parent` (default: the store's head). `seq` defaults to
   * parent's seq + 1. Unless `force`, an unchanged folder returns the parent with changed=false.
   */
  snapshot(args: SnapshotArgs): Promise<SnapshotResult> {
    const run = this.busy.then(() => this.take(args))
    this.busy = run.catch(() => undefined)
    return run
  }

  private async take(args: SnapshotArgs): Promise<SnapshotResult> {
    const started = Date.now()
    const { snapshots } = this.opts
    await snapshots.open()
    const parentId = args.parent === undefined ? (snapshots.head()?.id ?? null) : args.parent
    const parent = parentId ? snapshots.get(parentId) : undefined
    if (parentId && !parent) throw new ShoalError('NOT_FOUND', `parent snapshot ${parentId.slice(0, 12)}… is not in this store`)
    const cache = await this.loadCache()

    const stats: SnapshotStats = { entries: 0, filesRead: 0, bytesRead: 0, bytesMatched: 0, newChunks: 0, newBytes: 0, skipped: [], durationMs: 0, phases: { walkMs: 0, readMs: 0, commitMs: 0 }, listing: 'whole' }
    let t = performance.now()
    const found = await this.list(args, parent?.id ?? null, stats)
    found.sort((a, b) => comparePaths(a.path, b.path))
    stats.phases.walkMs = performance.now() - t

    const tally: ReadTally = { bytesRead: 0, bytesMatched: 0, newChunks: 0, newBytes: 0, newHashes: [] }
    const nextCache = new Map<string, CachedFile>()
    const racy = (ms: number) => ms >= started - (ms % 1000 === 0 ? this.opts.racyMs : this.opts.fineRacyMs)
    // Unchanged files (stat cache hits) are settled here without a promise each; only the
    // others are read, a few at a time.
    const toRead: Found[] = []
    const recheck = new Set<string>()
    for (const f of found) {
      if (f.entry) {
        // A file taken over from the last listing keeps its stat cache entry; one without any is
        // looked at next time (it was never vetted by a full look).
        if (f.kept && f.entry.kind === 'file') {
          const hit = cache.get(f.path)
          if (hit) nextCache.set(f.path, hit)
          else recheck.add(f.path)
        }
        continue
      }
      const st = f.st!
      const hit = cache.get(f.path)
      if (hit && hit.size === st.size && hit.mtimeMs === st.mtimeMs && hit.ctimeMs === st.ctimeMs && hit.ino === st.ino) {
        f.entry = { path: f.path, kind: 'file', mode: st.mode, mtimeMs: hit.mtimeMs, size: hit.size, chunks: hit.chunks }
        nextCache.set(f.path, hit)
      } else toRead.push(f)
    }
    t = performance.now()
    await runLimited(toRead, this.opts.readConcurrency, async (f) => {
      const st = f.st!
      const own: ReadTally = { bytesRead: 0, bytesMatched: 0, newChunks: 0, newBytes: 0, newHashes: [] }
      const tell = (chunks: readonly string[], settled: boolean) => {
        const e: FileSettled = { parent: parent?.id ?? null, path: f.path, chunks, newChunks: own.newHashes, previous: cache.get(f.path)?.chunks ?? null, settled }
        for (const l of this.settledListeners) l(e)
      }
      const file = await this.reader.read(f.path, own, this.settledListeners.size > 0 ? (chunks) => tell(chunks, false) : undefined, cache.get(f.path)?.chunks)
      tally.bytesRead += own.bytesRead
      tally.bytesMatched += own.bytesMatched
      tally.newChunks += own.newChunks
      tally.newBytes += own.newBytes
      for (const h of own.newHashes) tally.newHashes.push(h)
      if (this.settledListeners.size > 0) tell(file.chunks, true)
      stats.filesRead++
      f.entry = { path: f.path, kind: 'file', mode: st.mode, mtimeMs: file.mtimeMs, size: file.size, chunks: file.chunks }
      // Racy: a file read now whose timestamps are this recent could change again within the
      // same tick unseen, so it is read again next time. A cache hit was vetted when cached.
      if (!racy(file.mtimeMs) && !racy(file.ctimeMs)) nextCache.set(f.path, file)
      else recheck.add(f.path)
    })
    stats.bytesRead = tally.bytesRead
    stats.bytesMatched = tally.bytesMatched
    stats.newChunks = tally.newChunks
    stats.newBytes = tally.newBytes

    stats.phases.readMs = performance.now() - t
    t = performance.now()
    const manifest: Manifest = { entries: found.map((f) => f.entry!) }
    stats.entries = manifest.entries.length
    // Entries taken over from the last listing are copied from its bytes, not encoded again.
    const last = this.last
    const prev = last?.listing !== undefined && last.ends !== undefined ? { manifest: last.listing, bytes: last.bytes, ends: last.ends } : undefined
    const { bytes, ends } = encodeManifestBounded(manifest, prev)
    if (parent && !args.force) {
      const parentBytes = this.last?.id === parent.id ? this.last.bytes : await snapshots.readManifestBytes(parent.id)
      this.last = { id: parent.id, bytes: parentBytes }
      if (parentBytes.equals(bytes)) {
        if (stats.filesRead > 0 || nextCache.size !== cache.size) await this.saveCache(nextCache, parent.id)
        else this.cache = nextCache
        this.last = { id: parent.id, bytes, ends, listing: manifest }
        this.recheck = recheck
        stats.durationMs = Date.now() - started
        return { snapnode: parent, manifest, changed: false, stats }
      }
    }
    const base = { parent: parent?.id ?? null, origin: this.opts.origin, epoch: args.epoch, seq: args.seq ?? (parent ? parent.seq + 1 : 1) }
    const snapnode: Snapnode = { id: snapshotId(bytes, base), ...base, time: args.time ?? started, holders: [this.opts.origin] }
    const committed = await snapshots.commit(snapnode, bytes, { chunks: tally.newHashes, ends, manifest })
    this.last = { id: committed.id, bytes, ends }
    await this.saveCache(nextCache, committed.id)
    this.last.listing = manifest
    this.recheck = recheck
    stats.phases.commitMs = performance.now() - t
    stats.durationMs = Date.now() - started
    return { snapnode: committed, manifest, changed: true, stats }
  }

  /**
   * Lists the folder: only what changed since the last listing when the watch's paths are given
   * and the parent is that listing, else the whole tree.
   */
  private async list(args: SnapshotArgs, parent: string | null, stats: SnapshotStats): Promise<Found[]> {
    const last = this.last
    if (args.changed !== undefined && parent !== null && last?.id === parent && last.listing) {
      const found = await relist(this.opts.root, last.listing, [...args.changed, ...this.recheck], stats.skipped)
      if (found !== null) {
        stats.listing = 'changed'
        return found
      }
      stats.skipped.length = 0
    }
    const found: Found[] = []
    await walkTree(this.opts.root, '', found, stats.skipped)
    return found
  }

  /**
   * After `snapshot` was checked out into the folder (and before anything else writes there):
   * take the files' current stats as known, so the next snapshot reads only what changes after
   * this point instead of the whole volume (a new master's first snapshot, a move's final one).
   */
  adopt(manifest: Manifest, snapshot: string): Promise<void> {
    const run = this.busy.then(async () => {
      // The folder now holds `snapshot`, whatever was listed before.
      this.last = null
      const next = new Map<string, CachedFile>()
      const files = manifest.entries.filter((e): e is Extract<ManifestEntry, { kind: 'file' }> => e.kind === 'file')
      await runLimited(files, this.opts.readConcurrency * 4, async (e) => {
        const st = await lstat(join(this.opts.root, e.path)).catch(() => null)
        if (st !== null && st.isFile() && st.size === e.size) next.set(e.path, { size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, ino: st.ino, chunks: e.chunks })
      })
      await this.saveCache(next, snapshot, true)
    })
    this.busy = run.catch(() => undefined)
    return run
  }

  private async loadCache(): Promise<Map<string, CachedFile>> {
    if (this.cache) return this.cache
    this.cache = new Map()
    try {
      const saved = JSON.parse(await readFile(this.opts.statCachePath, 'utf8')) as PersistedCache
      if (this.opts.snapshots.has(saved.snapshot)) {
        const manifest = await this.opts.snapshots.readManifest(saved.snapshot)
        for (const e of manifest.entries) {
          const s = saved.files[e.path]
          if (e.kind === 'file' && s) this.cache.set(e.path, { size: s[0], mtimeMs: s[1], ctimeMs: s[2], ino: s[3], chunks: e.chunks })
        }
      }
    } catch {
      // No cache (first snapshot) or an unreadable one: every file is read.
    }
    return this.cache
  }

  /**
   * Keeps `next` as the stat cache, and writes it out when it was last written STAT_CACHE_SAVE_MS
   * ago or more (or `now`). The copy on disk only spares a restarted node reading files again, so
   * one a little old is fine: it still pairs each file's stat with the snapshot it was taken
   * for, and a file changed since is read again.
   */
  private async saveCache(next: Map<string, CachedFile>, snapshot: string, now = false): Promise<void> {
    this.cache = next
    if (!now && performance.now() - this.cacheSavedAt < this.opts.statCacheSaveMs) return
    const first = this.cacheSavedAt === -Infinity
    this.cacheSavedAt = performance.now()
    // The periodic save happens a moment after the snapshot was handed on (it only spares
    // re-reads after a restart, and a lost one costs exactly that), one save at a time. The
    // first (after reading the whole volume) is not put off; `now` also waits for it.
    const later = now || first ? Promise.resolve() : new Promise<void>((resolve) => setTimeout(resolve, STAT_CACHE_SAVE_DELAY_MS).unref())
    const save = Promise.all([this.cacheSaving, later]).then(() => {
      const files: PersistedCache['files'] = {}
      for (const [path, f] of next) files[path] = [f.size, f.mtimeMs, f.ctimeMs, f.ino]
      return writeFileAtomic(this.opts.statCachePath, JSON.stringify({ snapshot, files } satisfies PersistedCache))
    })
    this.cacheSaving = save.catch(() => undefined)
    if (now) await save
  }
}

