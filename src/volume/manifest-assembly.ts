import { indexOfPath, type Manifest, type ManifestEntry } from '../core/snapnode.js'
import { decodeEntryAt, decodeManifestEntries, decodeManifestHeader, entryPathAt, type EncodedManifest } from '../protocol/manifest-codec.js'

/**
 * A piece of a manifest this node holds decoded, that holds whole entries: a new manifest that
 * has the same piece (the same bytes, so the same entries) takes them from here.
 */
export interface KnownPiece {
  /** It was a manifest's first piece: it starts with a header, and only fits there. */
  first: boolean
  entries: readonly ManifestEntry[]
  /** Encoded size of each entry. */
  sizes: readonly number[]
}

/**
 * The pieces of a decoded manifest that hold whole entries (see cutManifest), by hash, with
 * their entries. `ends`: where the manifest's header and each entry end (decodeManifestBounded).
 */
export function knownPieces(pieces: ReadonlyArray<{ hash: string; data: Uint8Array; whole: boolean }>, manifest: Manifest, ends: readonly number[]): Map<string, KnownPiece> {
  const out = new Map<string, KnownPiece>()
  const list = manifest.entries
  let at = 0
  let k = 0 // the first entry that does not end inside the pieces seen so far
  for (const [i, p] of pieces.entries()) {
    const start = at
    at += p.data.byteLength
    const from = k
    while (k < list.length && ends[k + 1]! <= at) k++
    // Whole: its first entry starts where it does (or right after the header) and its last ends with it.
    if (!p.whole || k === from || ends[k] !== at || (i > 0 && ends[from] !== start)) continue
    const sizes: number[] = []
    for (let j = from; j < k; j++) sizes.push(ends[j + 1]! - ends[j]!)
    out.set(p.hash, { first: i === 0, entries: list.slice(from, k), sizes })
  }
  return out
}

/**
 * The manifest whose bytes are `pieces` (in order), with entries of known pieces taken as they
 * are and only the others decoded: a replica receiving the next snapshot of a big volume decodes
 * the few pieces that changed instead of every entry. With `base` (the manifest the known pieces
 * came from, encoded), an entry of a changed piece whose bytes are those of the base's entry of
 * the same path is taken from the base too: a change spread over many files changes most pieces,
 * but only a few entries in each. `fresh` is the decoded entries. Null when
 * the pieces cannot be read that way (a piece holds part of an entry, a header names another
 * count, anything malformed): decode the whole manifest instead, which says what is wrong. The
 * result is what decoding the whole manifest gives: a known piece's bytes decode to its entries
 * wherever they sit, and each run of other pieces is decoded from an entry boundary and must end
 * exactly at the next one.
 */
export function assembleManifest(
  pieces: ReadonlyArray<{ hash: string; data: Uint8Array }>,
  known: ReadonlyMap<string, KnownPiece>,
  base?: EncodedManifest
): { manifest: Manifest; ends: number[]; fresh: ManifestEntry[] } | null {
  if (pieces.length === 0) return null
  const entries: ManifestEntry[] = []
  const fresh: ManifestEntry[] = []
  let header: { entries: number; end: number }
  try {
    header = decodeManifestHeader(pieces[0]!.data)
  } catch {
    return null
  }
  const ends = [header.end]
  let at = 0
  for (let i = 0; i < pieces.length; ) {
    const k = known.get(pieces[i]!.hash)
    if (k !== undefined && k.first === (i === 0)) {
      for (let n = 0; n < k.entries.length; n++) {
        entries.push(k.entries[n]!)
        ends.push(ends[ends.length - 1]! + k.sizes[n]!)
      }
      at += pieces[i]!.data.byteLength
      i++
      continue
    }
    let j = i + 1
    while (j < pieces.length && known.get(pieces[j]!.hash)?.first !== false) j++
    const run = j === i + 1 ? pieces[i]!.data : Buffer.concat(pieces.slice(i, j).map((p) => p.data))
    const runEnds: number[] = []
    let got: ManifestEntry[]
    try {
      got = base !== undefined ? readAgainst(run, i === 0, runEnds, base, fresh) : decodeManifestEntries(run, i === 0, runEnds)
    } catch {
      return null
    }
    for (const e of got) entries.push(e)
    if (base === undefined) for (const e of got) fresh.push(e)
    for (const end of runEnds) ends.push(at + end)
    at += run.byteLength
    i = j
  }
  if (entries.length !== header.entries || ends[ends.length - 1] !== at) return null
  return { manifest: { entries }, ends, fresh }
}

/**
 * The entries of `run` (pieces that hold whole entries, the first with the manifest's header),
 * each taken from `base` where its bytes are those of the base's entry with the same path (the
 * same bytes decode to the same entry and end at the same place), else decoded and pushed to
 * `fresh`. Where each entry ends in the run is pushed to `ends`. Throws BAD_FRAME.
 */
function readAgainst(run: Uint8Array, withHeader: boolean, ends: number[], base: EncodedManifest, fresh: ManifestEntry[]): ManifestEntry[] {
  const bytes = Buffer.from(run.buffer, run.byteOffset, run.byteLength)
  const baseBytes = Buffer.from(base.bytes.buffer, base.bytes.byteOffset, base.bytes.byteLength)
  const list = base.manifest.entries
  const out: ManifestEntry[] = []
  let pos = withHeader ? decodeManifestHeader(bytes).end : 0
  /** Whether the bytes at `pos` are those of the base's entries k…k+m-1. */
  const same = (k: number, m: number): boolean => {
    const from = base.ends[k]!
    const len = base.ends[k + m]! - from
    return len <= bytes.length - pos && bytes.compare(baseBytes, from, from + len, pos, pos + len) === 0
  }
  /** Takes as many of the base's entries from k on as the bytes at `pos` repeat; how many. */
  const take = (k: number): number => {
    // The entries that match form a prefix: double until one does not, then halve the gap.
    const max = list.length - k
    let yes = 0
    let no = max + 1
    for (let m = 1; m <= max; m *= 2) {
      if (!same(k, m)) {
        no = m
        break
      }
      yes = m
    }
    while (no - yes > 1) {
      const mid = (yes + no) >>> 1
      if (same(k, mid)) yes = mid
      else no = mid
    }
    for (let n = 0; n < yes; n++) {
      out.push(list[k + n]!)
      pos += base.ends[k + n + 1]! - base.ends[k + n]!
      ends.push(pos)
    }
    return yes
  }
  let next = -1 // the base entry after the last one taken: the likeliest to come next
  while (pos < bytes.length) {
    if (next >= 0 && next < list.length) {
      const n = take(next)
      if (n > 0) {
        next += n
        continue
      }
    }
    const k = indexOfPath(list, entryPathAt(bytes, pos, bytes.length))
    if (k >= 0 && k !== next) {
      const n = take(k)
      if (n > 0) {
        next = k + n
        continue
      }
    }
    const got = decodeEntryAt(bytes, pos, bytes.length)
    out.push(got.entry)
    fresh.push(got.entry)
    pos = got.end
    ends.push(pos)
    next = k >= 0 ? k + 1 : -1
  }
  return out
}
