/**
 * A snapshot's identity and place in its app's lineage. Ids and node ids are lowercase hex.
 * `id` is the hash of the encoded manifest plus parent, epoch, seq and origin (see
 * volume/snapshot-id.ts), so the same id always means the same data and history.
 */
export interface Snapnode {
  id: string
  /** The snapshot this one was taken after on its origin, or null for the first. */
  parent: string | null
  /** Node that took the snapshot (the master at the time). */
  origin: string
  /** Placement epoch of the master that took it. */
  epoch: number
  /** Per-app sequence number, monotonic along a lineage. */
  seq: number
  /** Wall-clock ms when it was taken. */
  time: number
  /** Nodes known to hold the snapshot completely. Not part of the id. */
  holders: string[]
}

export type ManifestEntry =
  | { path: string; kind: 'file'; mode: number; mtimeMs: number; size: number; chunks: string[] }
  | { path: string; kind: 'dir'; mode: number; mtimeMs: number; size: 0 }
  | { path: string; kind: 'symlink'; mode: number; mtimeMs: number; size: 0; target: string }

/**
 * The content of a volume: entries sorted by path (comparePaths), paths relative to the volume
 * root with '/' separators, no leading slash. Chunks are hex hashes in file order.
 */
export interface Manifest {
  entries: ManifestEntry[]
}

/** The order manifest entries are stored in (UTF-16 code units, as JS compares strings). */
export function comparePaths(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/** In entries sorted by path: the first index (from `lo`) whose path is not before `path`. */
export function lowerBoundPath(list: readonly ManifestEntry[], path: string, lo = 0): number {
  let hi = list.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (comparePaths(list[mid]!.path, path) < 0) lo = mid + 1
    else hi = mid
  }
  return lo
}

/** Where `path` is among entries sorted by path, or -1. */
export function indexOfPath(list: readonly ManifestEntry[], path: string): number {
  const i = lowerBoundPath(list, path)
  return i < list.length && list[i]!.path === path ? i : -1
}
