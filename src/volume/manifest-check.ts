import { ShoalError } from '../core/errors.js'
import { comparePaths, type Manifest, type ManifestEntry } from '../core/snapnode.js'
import { MAX_CHUNK_BYTES } from '../protocol/volume-messages.js'

/** Largest single file accepted from a peer (1 TiB) and largest volume (64 TiB). */
export const MAX_FILE_BYTES = 2 ** 40
export const MAX_VOLUME_BYTES = 2 ** 46

export interface ManifestLimits {
  maxFileBytes: number
  maxVolumeBytes: number
}

const bad = (msg: string) => new ShoalError('BAD_MANIFEST', msg)

/** A relative path made of plain names: no leading '/', no '', '.', '..', NUL or backslash. */
export function checkRelativePath(path: string): void {
  if (path.length === 0) throw bad('empty path')
  if (path.startsWith('/')) throw bad(`absolute path ${JSON.stringify(path)}`)
  if (path.includes('\0') || path.includes('\\')) throw bad(`path with NUL or backslash ${JSON.stringify(path)}`)
  // Segment by segment without splitting (a manifest has one path per entry, often tens of thousands).
  for (let start = 0; start <= path.length; ) {
    let end = path.indexOf('/', start)
    if (end < 0) end = path.length
    const len = end - start
    if (len === 2 && path.charCodeAt(start) === 46 && path.charCodeAt(start + 1) === 46) throw bad(`path climbs out with '..': ${JSON.stringify(path)}`)
    if (len === 0 || (len === 1 && path.charCodeAt(start) === 46)) throw bad(`path with an empty or '.' segment: ${JSON.stringify(path)}`)
    start = end + 1
  }
}

/**
 * Why a symlink at `path` with `target` would point outside the volume, or null when it stays
 * inside. Allowed: a relative target whose '..' segments all come first and never climb above
 * the root, followed by plain names. Because every folder on the way is a real folder (see
 * checkManifest) and every other link obeys the same rule, resolution can never leave the root.
 */
export function symlinkEscape(path: string, target: string): string | null {
  if (target.length === 0) return 'empty target'
  if (target.startsWith('/')) return 'absolute target'
  if (target.includes('\0')) return 'target with NUL'
  const depth = path.split('/').length - 1
  let ups = 0
  let names = 0
  for (const part of target.split('/')) {
    if (part === '' || part === '.') continue
    if (part === '..') {
      if (names > 0) return "'..' after a name in the target"
      ups++
    } else names++
  }
  if (ups > depth) return 'target climbs above the volume root'
  return null
}

/**
 * Refuses (ShoalError BAD_MANIFEST) anything that could write outside the volume or make us
 * allocate absurdly: bad paths, duplicates or unsorted entries, entries under a non-folder,
 * escaping symlinks, sizes that cannot match their chunk lists, absurd sizes.
 */
export function checkManifest(m: Manifest, limits: Partial<ManifestLimits> = {}): void {
  const defaults = limits.maxFileBytes === undefined && limits.maxVolumeBytes === undefined
  if (defaults && passed.has(m)) return
  const { maxFileBytes, maxVolumeBytes } = { maxFileBytes: MAX_FILE_BYTES, maxVolumeBytes: MAX_VOLUME_BYTES, ...limits }
  const dirs = new Set<string>()
  /** The folder the last entry checked was in (most entries share their neighbour's). */
  let folder = ''
  let total = 0
  let prev: string | null = null
  const unchecked: ManifestEntry[] = []
  for (const e of m.entries) {
    const path = e.path
    // An entry of a manifest that passed (a replica's manifests share most entries with the
    // last one) is itself fine; only where it sits is checked again.
    const known = defaults && checkedEntries.has(e)
    if (!known) checkRelativePath(path)
    if (prev !== null && comparePaths(prev, path) >= 0) {
      throw bad(prev === path ? `duplicate path ${JSON.stringify(path)}` : `entries out of order at ${JSON.stringify(path)}`)
    }
    prev = path
    const slash = path.lastIndexOf('/')
    if (slash > 0 && !(slash === folder.length && path.startsWith(folder))) {
      const parent = path.slice(0, slash)
      if (!dirs.has(parent)) throw bad(`${JSON.stringify(path)} is not inside a listed folder`)
      folder = parent
    }
    if (e.kind === 'dir') dirs.add(path)
    if (e.kind === 'file') total += e.size
    if (!known) {
      checkEntry(e, maxFileBytes)
      unchecked.push(e)
    }
    if (total > maxVolumeBytes) throw bad(`volume larger than ${maxVolumeBytes} bytes`)
  }
  if (defaults) {
    passed.add(m)
    for (const e of unchecked) checkedEntries.add(e)
  }
}

/** What checkManifest checks of one entry on its own (its path aside). */
function checkEntry(e: ManifestEntry, maxFileBytes: number): void {
  if (!Number.isInteger(e.mode) || e.mode < 0 || e.mode > 0o7777) throw bad(`bad mode on ${JSON.stringify(e.path)}`)
  if (!Number.isFinite(e.mtimeMs)) throw bad(`bad mtime on ${JSON.stringify(e.path)}`)
  if (e.kind === 'symlink') {
    const why = symlinkEscape(e.path, e.target)
    if (why) throw bad(`symlink ${JSON.stringify(e.path)} → ${JSON.stringify(e.target)} escapes the volume: ${why}`)
  } else if (e.kind === 'file') {
    if (!Number.isSafeInteger(e.size) || e.size < 0 || e.size > maxFileBytes) throw bad(`absurd size ${e.size} for ${JSON.stringify(e.path)}`)
    const n = e.chunks.length
    if ((e.size === 0) !== (n === 0) || n > e.size || n * MAX_CHUNK_BYTES < e.size) {
      throw bad(`size ${e.size} of ${JSON.stringify(e.path)} cannot match its ${n} chunks`)
    }
  }
}

/**
 * Manifests that passed checkManifest with the default limits, and their entries. Manifests and
 * entries are never modified once built (see SnapshotStore.readManifest), so a replica that
 * checked one on receipt need not check it again to check it out, nor check again the entries
 * the next one shares with it.
 */
const passed = new WeakSet<Manifest>()
const checkedEntries = new WeakSet<ManifestEntry>()

/**
 * Checks each file's size against the actual sizes of its chunks (known once they are stored).
 * A chunk `sizeOf` does not know is BAD_MANIFEST, or, with `missing`, is pushed there (its
 * file's size is then not checked).
 */
export function checkChunkSizes(m: Manifest, sizeOf: (hash: string) => number | undefined, missing?: string[]): void {
  for (const e of m.entries) {
    if (e.kind !== 'file') continue
    let sum = 0
    let whole = true
    for (const h of e.chunks) {
      const s = sizeOf(h)
      if (s === undefined) {
        if (missing === undefined) throw bad(`chunk ${h.slice(0, 12)}… of ${JSON.stringify(e.path)} is missing`)
        missing.push(h)
        whole = false
      } else sum += s
    }
    if (whole && sum !== e.size) throw bad(`${JSON.stringify(e.path)} claims ${e.size} bytes but its chunks hold ${sum}`)
  }
}
