import { chmod, lutimes, mkdir, readlink, rename, rm, symlink, unlink, utimes } from 'node:fs/promises'
import { closeSync, fchmodSync, futimesSync, lstatSync, openSync, readSync, readdirSync } from 'node:fs'
import type { Stats } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { comparePaths, type Manifest, type ManifestEntry } from '../core/snapnode.js'
import { chunkHasher } from './chunk-hasher.js'
import { patchInPlace } from './in-place-patch.js'
import { PIECE_BYTES, givePieceBuffer, readStoreChunks, takePieceBuffer, writePartsSync } from './piece-io.js'
import type { ChunkStore } from './chunk-store.js'
import { runLimited } from './run-limited.js'
import { TMP_PREFIX, fsyncDir, tmpPathBeside } from './fs-atomic.js'
import { checkManifest } from './manifest-check.js'
import { openRegularSync } from './fd-io.js'
import { yieldToLoop } from './yield-to-loop.js'

/** Files written at once. */
export const WRITE_CONCURRENCY = 4
export { PIECE_BYTES } from './piece-io.js'
export { IN_PLACE_MTIME_S } from './in-place-patch.js'

export interface CheckoutOptions {
  chunks: ChunkStore
  manifest: Manifest
  /** The folder to materialise the snapshot in. */
  target: string
  /**
   * fresh: build the whole tree beside `target`, then swap it in (readers see the old tree or
   * the new one). in-place: update an existing checkout, touching only what differs.
   */
  mode: 'fresh' | 'in-place'
  /**
   * in-place only: the manifest last checked out in `target`. Given, only entries that differ
   * between it and `manifest` are looked at and written (the target is trusted to still hold
   * it, as a replica's checkout that nothing else writes does). Without it the whole target is
   * scanned and size + mtime decide what is rewritten (like rsync).
   */
  previous?: Manifest
  /**
   * in-place with `previous`: still look at every entry of the target (size + mtime, as without
   * `previous`), trusting `previous` only to tell files whose content changed under the same
   * size and mtime. For a folder something else may have written meanwhile.
   */
  scanAll?: boolean
  concurrency?: number
}

export interface CheckoutStats {
  filesWritten: number
  bytesWritten: number
  /** Entries removed from the target (in-place). */
  removed: number
  /** Entries already right (in-place). */
  unchanged: number
}

const sameMtime = (a: number, b: number) => Math.abs(a - b) < 1

/**
 * Materialises `manifest` in `target`, byte-identical: contents, modes, mtimes, symlinks, empty
 * folders. The manifest is checked first (BAD_MANIFEST) and every chunk's hash is verified as
 * it is read (BAD_CHUNK), so nothing unverified is written.
 */
export async function checkout(opts: CheckoutOptions): Promise<CheckoutStats> {
  checkManifest(opts.manifest)
  const stats: CheckoutStats = { filesWritten: 0, bytesWritten: 0, removed: 0, unchanged: 0 }
  if (opts.mode === 'fresh') await checkoutFresh(opts, stats)
  else await checkoutInPlace(opts, stats)
  return stats
}

async function checkoutFresh(opts: CheckoutOptions, stats: CheckoutStats): Promise<void> {
  const target = opts.target
  const parent = dirname(target)
  await mkdir(parent, { recursive: true })
  const building = join(parent, `${TMP_PREFIX}${basename(target)}-new`)
  await rm(building, { recursive: true, force: true })
  await mkdir(building, { mode: 0o755 })
  try {
    const { entries } = opts.manifest
    for (const e of entries) if (e.kind === 'dir') await mkdir(join(building, e.path))
    await runLimited(
      entries.filter((e) => e.kind !== 'dir'),
      opts.concurrency ?? WRITE_CONCURRENCY,
      async (e) => {
        if (e.kind === 'file') await writeFileEntry(opts.chunks, join(building, e.path), e, stats)
        else if (e.kind === 'symlink') await writeSymlink(join(building, e.path), e)
      }
    )
    await finishDirs(building, entries, null, null)
  } catch (err) {
    await rm(building, { recursive: true, force: true })
    throw err
  }
  const old = tmpPathBeside(target)
  let hadOld = true
  try {
    await rename(target, old)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
    hadOld = false
  }
  await rename(building, target)
  await fsyncDir(parent)
  if (hadOld) await rm(old, { recursive: true, force: true })
}

async function checkoutInPlace(opts: CheckoutOptions, stats: CheckoutStats): Promise<void> {
  const target = opts.target
  await mkdir(target, { recursive: true })
  // With the previous manifest, only paths whose entry differs are examined (the target is
  // trusted to still hold `previous`); without it, the whole target is scanned.
  const diff = opts.previous && !opts.scanAll ? diffManifests(opts.previous, opts.manifest) : null
  const examine = diff !== null ? new Set([...diff.changed.map((e) => e.path), ...diff.removed]) : null
  // Entries by path: of the paths examined only, when they are known.
  const wanted = new Map((diff?.changed ?? opts.manifest.entries).map((e) => [e.path, e]))
  const previous = diff !== null ? diff.before : opts.previous ? new Map(opts.previous.entries.map((e) => [e.path, e])) : null
  const disk = new Map<string, Stats>()
  if (examine) {
    for (const p of examine) {
      const st = lstatOrNull(join(target, p))
      if (st) disk.set(p, st)
    }
  } else await scan(target, '', disk)
  const skip = (path: string) => examine !== null && !examine.has(path)
  // Folders whose content changes here; only they (and folders whose own stat differs) get their mtime reset.
  const touched = new Set<string>()
  const touch = (path: string) => touched.add(path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '')

  // Remove what is not wanted or has the wrong kind, deepest first.
  const stale = [...disk.keys()].filter((p) => {
    const want = wanted.get(p)
    const st = disk.get(p)!
    return !want || kindOf(st) !== want.kind
  })
  stale.sort((a, b) => b.length - a.length)
  for (const p of stale) {
    if (!disk.has(p)) continue
    await rm(join(target, p), { recursive: true, force: true })
    touch(p)
    for (const k of [...disk.keys()]) if (k === p || k.startsWith(`${p}/`)) disk.delete(k)
    stats.removed++
  }

  const examined = diff?.changed ?? opts.manifest.entries
  for (const e of examined) {
    if (e.kind === 'dir' && !disk.has(e.path)) {
      await mkdir(join(target, e.path))
      touch(e.path)
    }
  }

  await runLimited(
    examined.filter((e) => e.kind !== 'dir'),
    opts.concurrency ?? WRITE_CONCURRENCY,
    async (e) => {
      const abs = join(target, e.path)
      const st = disk.get(e.path)
      if (e.kind === 'symlink') {
        if (st && (await readlink(abs)) === e.target) {
          if (!sameMtime(st.mtimeMs, e.mtimeMs)) await lutimes(abs, e.mtimeMs / 1000, e.mtimeMs / 1000)
          stats.unchanged++
          return
        }
        const tmp = tmpPathBeside(abs)
        await writeSymlink(tmp, e)
        await rename(tmp, abs)
        touch(e.path)
        return
      }
      if (e.kind !== 'file') return
      if (st && st.size === e.size && sameMtime(st.mtimeMs, e.mtimeMs)) {
        const prev = previous?.get(e.path)
        if (!previous || (prev?.kind === 'file' && sameList(prev.chunks, e.chunks))) {
          if ((st.mode & 0o7777) !== e.mode) await chmod(abs, e.mode)
          stats.unchanged++
          return
        }
      }
      const prev = previous?.get(e.path)
      // The file still holds the previous version (its size and mtime say so): a change to part
      // of a large file is written where it is (see patchInPlace).
      if (st?.isFile() && st.nlink === 1 && prev?.kind === 'file' && st.size === prev.size && sameMtime(st.mtimeMs, prev.mtimeMs)) {
        if (await patchInPlace(opts.chunks, abs, prev.chunks, e, stats)) return
      }
      const tmp = tmpPathBeside(abs)
      const basis = st?.isFile() && prev?.kind === 'file' ? basisOf(opts.chunks, abs, prev.chunks) : undefined
      try {
        await writeFileEntry(opts.chunks, tmp, e, stats, basis)
        await rename(tmp, abs)
        touch(e.path)
      } catch (err) {
        await unlink(tmp).catch(() => undefined)
        throw err
      }
    }
  )
  await finishDirs(target, opts.manifest.entries.filter((e) => e.kind === 'dir' && (!skip(e.path) || touched.has(e.path))), disk, touched)
}

/**
 * What differs between two manifests: the entries of `after` that are new or changed in any
 * way, with the entries they replace (by path), and the paths only `before` has. Both lists are
 * sorted by path: one walk side by side, and an entry that is the very object of `before`'s (as
 * a manifest read against the one before it shares them, see manifest-assembly.ts) costs nothing.
 */
function diffManifests(before: Manifest, after: Manifest): { changed: ManifestEntry[]; before: Map<string, ManifestEntry>; removed: string[] } {
  const changed: ManifestEntry[] = []
  const replaced = new Map<string, ManifestEntry>()
  const removed: string[] = []
  const old = before.entries
  const next = after.entries
  let i = 0
  for (const e of next) {
    while (i < old.length && old[i] !== e && comparePaths(old[i]!.path, e.path) < 0) removed.push(old[i++]!.path)
    const o = i < old.length && (old[i] === e || old[i]!.path === e.path) ? old[i++]! : undefined
    if (o === e) continue
    if (o === undefined || !sameEntry(o, e)) {
      changed.push(e)
      if (o !== undefined) replaced.set(e.path, o)
    }
  }
  while (i < old.length) removed.push(old[i++]!.path)
  return { changed, before: replaced, removed }
}

function sameEntry(a: ManifestEntry, b: ManifestEntry): boolean {
  if (a.kind !== b.kind || a.mode !== b.mode || a.mtimeMs !== b.mtimeMs || a.size !== b.size) return false
  if (a.kind === 'file' && b.kind === 'file') return sameList(a.chunks, b.chunks)
  if (a.kind === 'symlink' && b.kind === 'symlink') return a.target === b.target
  return true
}

function kindOf(st: Stats): ManifestEntry['kind'] | 'other' {
  return st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'symlink' : st.isFile() ? 'file' : 'other'
}

function sameList(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i])
}

/** A path's lstat, or null when nothing is there (also when a folder on the way is a file). */
function lstatOrNull(path: string): Stats | null {
  try {
    return lstatSync(path, { throwIfNoEntry: false }) ?? null
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOTDIR') return null
    throw err
  }
}

/** Lists the target; synchronous per folder (cheap per entry), yielding between folders. */
async function scan(root: string, rel: string, out: Map<string, Stats>): Promise<void> {
  const subdirs: string[] = []
  for (const name of readdirSync(rel ? join(root, rel) : root)) {
    const path = rel ? `${rel}/${name}` : name
    const st = lstatSync(join(root, path))
    out.set(path, st)
    if (st.isDirectory()) subdirs.push(path)
  }
  for (const d of subdirs) {
    await yieldToLoop()
    await scan(root, d, out)
  }
}

/** Where each chunk of the file being replaced sits in it, so unchanged parts are copied from it. */
interface Basis {
  path: string
  at: Map<string, { offset: number; length: number }>
}

function basisOf(chunks: ChunkStore, path: string, list: string[]): Basis | undefined {
  const at = new Map<string, { offset: number; length: number }>()
  let offset = 0
  for (const h of list) {
    const length = chunks.size(h)
    if (length === undefined) return undefined
    if (!at.has(h)) at.set(h, { offset, length })
    offset += length
  }
  return { path, at }
}

/**
 * Writes a file from its chunks, a piece (up to PIECE_BYTES) at a time: the piece's chunks are
 * gathered, hash-checked, then written with one writev. With a basis (the old version of the
 * file), chunks it already holds are read from it in place of the chunk store, back-to-back runs
 * with one read; a basis chunk that does not match its hash (checked on the hasher's worker) is
 * taken from the store. Reads (of the basis and of the store) and writes are synchronous, into
 * reused buffers, a piece at a time with a turn of the event loop between pieces: on a replica
 * the old file and the new chunks sit in the page cache, where a thread-pool round trip into
 * fresh memory per read costs more than the copy itself.
 */
async function writeFileEntry(chunks: ChunkStore, path: string, e: Extract<ManifestEntry, { kind: 'file' }>, stats: CheckoutStats, basis?: Basis): Promise<void> {
  const fd = openSync(path, 'w', e.mode)
  let old: number | null = null
  if (basis) {
    try {
      old = openRegularSync(basis.path)?.fd ?? null
    } catch {
      old = null // gone: everything comes from the store
    }
  }
  const buf = old !== null ? takePieceBuffer() : null
  const storeBuf = takePieceBuffer()
  try {
    const list = e.chunks
    for (let i = 0; i < list.length; ) {
      // The piece: chunks i…j-1, at most PIECE_BYTES (a chunk missing from the store counts 0
      // here, and readMany below reports it).
      const sizes: number[] = []
      let bytes = 0
      for (let k = i; k < list.length; k++) {
        const size = chunks.size(list[k]!) ?? 0
        if (k > i && bytes + size > PIECE_BYTES) break
        sizes.push(size)
        bytes += size
      }
      const j = i + sizes.length
      const parts: Buffer[] = new Array(j - i)
      if (old !== null) await readFromBasis(old, basis!, list.slice(i, j), sizes, buf!, parts)
      const fromStore: number[] = []
      for (let k = i; k < j; k++) if (parts[k - i] === undefined) fromStore.push(k)
      if (fromStore.length > 0) {
        // At most a piece: it fits. Read back to back, so hashed as one batch like the basis.
        const read = await readStoreChunks(chunks, fromStore.map((k) => list[k]!), storeBuf)
        fromStore.forEach((k, n) => (parts[k - i] = read[n]!))
      }
      stats.bytesWritten += writePartsSync(fd, parts, path)
      i = j
      if (i < list.length) await yieldToLoop()
    }
    fchmodSync(fd, e.mode) // open's mode is filtered by the umask
    futimesSync(fd, e.mtimeMs / 1000, e.mtimeMs / 1000)
  } finally {
    closeSync(fd)
    if (old !== null) closeSync(old)
    if (buf !== null) givePieceBuffer(buf)
    givePieceBuffer(storeBuf)
  }
  stats.filesWritten++
}

/**
 * Reads the chunks of a piece (`hashes`, of `sizes`) that the basis holds into `buf`, each at its
 * offset in the piece, runs lying back to back in the old file with one read, and puts those
 * whose hash checks out in `parts` (the others are left for the store). The hashes are checked
 * on the hasher's worker thread while this thread goes on with the other files being written.
 */
async function readFromBasis(old: number, basis: Basis, hashes: string[], sizes: number[], buf: Buffer, parts: Buffer[]): Promise<void> {
  const bounds = [0]
  const read: boolean[] = new Array(hashes.length).fill(false)
  let any = false
  for (let k = 0; k < hashes.length; ) {
    const first = basis.at.get(hashes[k]!)
    let end = k + 1
    let len = sizes[k]!
    if (first !== undefined) {
      for (; end < hashes.length; end++) {
        const w = basis.at.get(hashes[end]!)
        if (w === undefined || w.offset !== first.offset + len) break
        len += sizes[end]!
      }
      const at = bounds[bounds.length - 1]!
      const got = readSync(old, buf, at, len, first.offset)
      for (let m = k, off = at; m < end; off += sizes[m]!, m++) read[m] = off + sizes[m]! <= at + got
      any ||= got > 0
    }
    for (let m = k; m < end; m++) bounds.push(bounds[bounds.length - 1]! + sizes[m]!)
    k = end
  }
  if (!any) return
  const got = await chunkHasher.hash(buf, bounds)
  for (let m = 0; m < hashes.length; m++) if (read[m] && got[m] === hashes[m]) parts[m] = buf.subarray(bounds[m]!, bounds[m + 1]!)
}

async function writeSymlink(path: string, e: Extract<ManifestEntry, { kind: 'symlink' }>): Promise<void> {
  await symlink(e.target, path)
  await lutimes(path, e.mtimeMs / 1000, e.mtimeMs / 1000)
}

/**
 * Sets folder modes and mtimes last (writing inside a folder changes its mtime), deepest first.
 * With `touched`, only folders written into or whose stat differs from the manifest are reset.
 */
async function finishDirs(root: string, entries: ManifestEntry[], disk: Map<string, Stats> | null, touched: Set<string> | null): Promise<void> {
  const dirs = entries.filter((e) => e.kind === 'dir')
  for (let i = dirs.length - 1; i >= 0; i--) {
    const e = dirs[i]!
    const abs = join(root, e.path)
    const st = disk?.get(e.path)
    if (!st || (st.mode & 0o7777) !== e.mode) await chmod(abs, e.mode)
    if (!st || !touched || touched.has(e.path) || !sameMtime(st.mtimeMs, e.mtimeMs)) await utimes(abs, e.mtimeMs / 1000, e.mtimeMs / 1000)
  }
}
