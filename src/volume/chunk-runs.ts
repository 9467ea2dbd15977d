import type { Manifest, ManifestEntry } from '../core/snapnode.js'
import type { ChunkRun } from '../protocol/volume-messages.js'

/** Runs longer than this (either side) are sent whole: their edges are a small share of them. */
export const MAX_RUN_CHUNKS = 4096

/**
 * The chunks of `m` that `has` says are not held, each once, in the order the manifest first
 * names them (file order: how a snapshot stored them, so they read back to back), and the files
 * that name at least one of them. One lookup per chunk the manifest names.
 */
export function lackingChunks(m: Manifest, has: (hash: string) => boolean): { hashes: string[]; files: ManifestEntry[] } {
  const hashes: string[] = []
  const files: ManifestEntry[] = []
  const seen = new Set<string>()
  for (const e of m.entries) {
    if (e.kind !== 'file') continue
    let lacks = false
    for (const h of e.chunks) {
      if (has(h)) continue
      lacks = true
      if (seen.has(h)) continue
      seen.add(h)
      hashes.push(h)
    }
    if (lacks) files.push(e)
  }
  return { hashes, files }
}

/**
 * The runs of chunks a receiver lacks, each with the chunks it holds that the run most likely
 * grew out of. Found by content, not offsets: an edit in a file turns the chunks between two
 * unchanged neighbours into new ones, and what stood between the same neighbours in the old
 * file (`base`, a manifest the receiver holds) is what they were. The sender then sends each new
 * chunk as pieces of the old run plus only the bytes that are really new (see run-alignment.ts).
 * Files absent from `base`, and runs whose neighbours cannot be found in it, get no run.
 */
export function changedRuns(next: Manifest, base: Manifest, lacks: (hash: string) => boolean, positions?: Map<string, Map<string, number>>): ChunkRun[] {
  const runs: ChunkRun[] = []
  // Usually a few changed files against a whole volume: index only the base files asked about.
  const paths = new Set<string>()
  for (const e of next.entries) if (e.kind === 'file') paths.add(e.path)
  const old = new Map<string, string[]>()
  for (const e of base.entries) if (e.kind === 'file' && e.chunks.length > 0 && paths.has(e.path)) old.set(e.path, e.chunks)
  for (const e of next.entries) {
    if (e.kind !== 'file') continue
    const was = old.get(e.path)
    if (was === undefined) continue
    // Where each old chunk first sits: built once per file (and kept in `positions` when given,
    // for a caller that asks about the same file again and again as it is read).
    let position: Map<string, number> | null = positions?.get(e.path) ?? null
    const chunks = e.chunks
    for (let i = 0; i < chunks.length; ) {
      if (!lacks(chunks[i]!)) {
        i++
        continue
      }
      let j = i
      while (j + 1 < chunks.length && lacks(chunks[j + 1]!)) j++
      if (position === null) {
        position = new Map()
        for (let k = was.length - 1; k >= 0; k--) position.set(was[k]!, k)
        positions?.set(e.path, position)
      }
      const left = i === 0 ? -1 : position.get(chunks[i - 1]!)
      const right = j === chunks.length - 1 ? was.length : position.get(chunks[j + 1]!)
      const length = j - i + 1
      if (left !== undefined && right !== undefined && right - left > 1 && right - left - 1 <= MAX_RUN_CHUNKS && length <= MAX_RUN_CHUNKS) {
        runs.push({ chunks: chunks.slice(i, j + 1), old: was.slice(left + 1, right) })
      }
      i = j + 1
    }
  }
  return runs
}

/** Runs by the hash of their first chunk: a run is named in the want that asks for that chunk. */
export function byFirstChunk(runs: ChunkRun[]): Map<string, ChunkRun[]> {
  const out = new Map<string, ChunkRun[]>()
  for (const run of runs) {
    const first = run.chunks[0]!
    const list = out.get(first)
    if (list === undefined) out.set(first, [run])
    else list.push(run)
  }
  return out
}

/** Hashes of runs one want frame may carry (keeps it far below the link's frame limit). */
export const MAX_RUN_HASHES_PER_WANT = 16_384

/** The runs starting at hashes of `batch`, as many as fit in one want frame. */
export function runsFor(runs: Map<string, ChunkRun[]>, batch: readonly string[]): ChunkRun[] {
  const out: ChunkRun[] = []
  let hashes = 0
  for (const h of batch) {
    for (const run of runs.get(h) ?? []) {
      hashes += run.chunks.length + run.old.length
      if (hashes > MAX_RUN_HASHES_PER_WANT) return out
      out.push(run)
    }
  }
  return out
}
