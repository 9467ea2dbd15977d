import c, { type Encoding, type State } from 'compact-encoding'
import { badFrame } from '../core/errors.js'
import { comparePaths, type Manifest, type ManifestEntry } from '../core/snapnode.js'
import { boundedString, decodeExact, encodeExact, finite, fittedArray, hex32, uintMax } from './codec-util.js'

/**
 * How a volume's content is encoded: a manifest (the snapshot id hashes these bytes, and they
 * travel in pieces), its entries read piece by piece, and the piece list a node keeps on disk.
 */
export const MAX_PATH_CHARS = 4096
export const MAX_ENTRIES = 5_000_000
export const MAX_MANIFEST_BYTES = 256 * 1024 * 1024

const flags = c.uint
const pathString = boundedString(MAX_PATH_CHARS)
const manifestSize = uintMax(MAX_MANIFEST_BYTES, 'manifest')

const KIND = { file: 0, dir: 1, symlink: 2 } as const
const MAX_FILE_BYTES = Number.MAX_SAFE_INTEGER
const fileSize = uintMax(MAX_FILE_BYTES, 'file size')
const chunkList = fittedArray(hex32, Number.MAX_SAFE_INTEGER, 32)
const modeUint = uintMax(0o177777, 'mode')

const entryCodec: Encoding<ManifestEntry> = {
  preencode(state, e) {
    flags.preencode(state, 0)
    c.uint8.preencode(state, KIND[e.kind])
    pathString.preencode(state, e.path)
    c.uint.preencode(state, e.mode)
    finite.preencode(state, e.mtimeMs)
    if (e.kind === 'file') {
      fileSize.preencode(state, e.size)
      chunkList.preencode(state, e.chunks)
    } else if (e.kind === 'symlink') pathString.preencode(state, e.target)
  },
  encode(state, e) {
    flags.encode(state, 0)
    c.uint8.encode(state, KIND[e.kind])
    pathString.encode(state, e.path)
    c.uint.encode(state, e.mode)
    finite.encode(state, e.mtimeMs)
    if (e.kind === 'file') {
      fileSize.encode(state, e.size)
      chunkList.encode(state, e.chunks)
    } else if (e.kind === 'symlink') pathString.encode(state, e.target)
  },
  decode(state) {
    flags.decode(state)
    const kind = c.uint8.decode(state)
    const path = pathString.decode(state)
    const mode = modeUint.decode(state)
    const mtimeMs = finite.decode(state)
    switch (kind) {
      case KIND.file:
        return { path, kind: 'file', mode, mtimeMs, size: fileSize.decode(state), chunks: chunkList.decode(state) }
      case KIND.dir:
        return { path, kind: 'dir', mode, mtimeMs, size: 0 }
      case KIND.symlink:
        return { path, kind: 'symlink', mode, mtimeMs, size: 0, target: pathString.decode(state) }
      default:
        throw badFrame(`unknown entry kind ${kind}`)
    }
  }
}

/** Smallest encoded entry: flags, kind, empty path, mode, float64 mtime. */
const MIN_ENTRY_BYTES = 12
const entries = fittedArray(entryCodec, MAX_ENTRIES, MIN_ENTRY_BYTES)

export const manifestCodec: Encoding<Manifest> = {
  preencode(state, m) {
    flags.preencode(state, 0)
    entries.preencode(state, m.entries)
  },
  encode(state, m) {
    flags.encode(state, 0)
    entries.encode(state, m.entries)
  },
  decode(state) {
    flags.decode(state)
    return { entries: entries.decode(state) }
  }
}

/** A manifest with its encoding and where its parts end (see encodeManifestBounded). */
export interface EncodedManifest {
  manifest: Manifest
  bytes: Uint8Array
  ends: readonly number[]
}

/**
 * Encodes a manifest and reports where its parts end: the header first, then each entry. Pieces
 * cut at these offsets hold whole entries, which can be read on their own. With `prev`, an entry
 * that is the very object of one of prev's entries is copied from prev's bytes instead of being
 * encoded again (an entry's bytes do not depend on where it sits): a new snapshot of a big volume
 * shares nearly all its entries with the last one.
 */
export function encodeManifestBounded(m: Manifest, prev?: EncodedManifest): { bytes: Buffer; ends: number[] } {
  const list = m.entries
  const old = prev?.manifest.entries ?? []
  const state: State = { start: 0, end: 0, buffer: null as unknown as Buffer }
  flags.preencode(state, 0)
  c.uint.preencode(state, list.length)
  const ends = [state.end]
  const from: number[] = new Array(list.length)
  // Both lists are sorted by path: walk them side by side, comparing paths only past entries
  // that are not shared.
  for (let k = 0, j = 0; k < list.length; k++) {
    const e = list[k]!
    while (j < old.length && old[j] !== e && comparePaths(old[j]!.path, e.path) < 0) j++
    const i = j < old.length && old[j] === e ? j++ : -1
    if (i >= 0) state.end += prev!.ends[i + 1]! - prev!.ends[i]!
    else entryCodec.preencode(state, e)
    from[k] = i
    ends.push(state.end)
  }
  const bytes = Buffer.allocUnsafe(state.end)
  state.buffer = bytes
  flags.encode(state, 0)
  c.uint.encode(state, list.length)
  for (let k = 0; k < list.length; ) {
    const i = from[k]!
    if (i < 0) {
      entryCodec.encode(state, list[k++]!)
      continue
    }
    // A run of entries that followed each other in prev too: one copy.
    let n = 1
    while (k + n < list.length && from[k + n] === i + n) n++
    const src = prev!.bytes
    bytes.set(new Uint8Array(src.buffer, src.byteOffset + prev!.ends[i]!, prev!.ends[i + n]! - prev!.ends[i]!), state.start)
    k += n
    state.start = ends[k]!
  }
  return { bytes, ends }
}

/**
 * Decodes a manifest and reports where its parts end, as encodeManifestBounded does, from the
 * decoding itself (no second pass over the entries). Throws BAD_FRAME on anything malformed.
 */
export function decodeManifestBounded(buf: Uint8Array): { manifest: Manifest; ends: number[] } {
  const ends: number[] = []
  const recording: Encoding<ManifestEntry> = {
    preencode: entryCodec.preencode,
    encode: entryCodec.encode,
    decode(state) {
      if (ends.length === 0) ends.push(state.start) // the header ends where the first entry starts
      const e = entryCodec.decode(state)
      ends.push(state.start)
      return e
    }
  }
  const bounded = fittedArray(recording, MAX_ENTRIES, MIN_ENTRY_BYTES)
  const manifest = decodeExact<Manifest>(
    {
      preencode: manifestCodec.preencode,
      encode: manifestCodec.encode,
      decode(state) {
        flags.decode(state)
        return { entries: bounded.decode(state) }
      }
    },
    buf
  )
  if (ends.length === 0) ends.push(buf.byteLength) // no entries: all header
  return { manifest, ends }
}

/**
 * A manifest's header, from the start of its bytes: how many entries it says follow and where
 * the header ends. Throws BAD_FRAME when it is malformed or names more than MAX_ENTRIES.
 */
export function decodeManifestHeader(buf: Uint8Array): { entries: number; end: number } {
  const state: State = { start: 0, end: buf.byteLength, buffer: buf }
  try {
    flags.decode(state)
    const entries = c.uint.decode(state)
    if (entries > MAX_ENTRIES) throw badFrame(`array longer than ${MAX_ENTRIES}`)
    return { entries, end: state.start }
  } catch (err) {
    if (err instanceof Error && (err as { code?: string }).code === 'BAD_FRAME') throw err
    throw badFrame(`malformed manifest header: ${(err as Error).message}`)
  }
}

/**
 * The entries in one piece of an encoded manifest that holds whole entries (the first piece also
 * holds the header, which is skipped). With `ends`, where each entry ends in the piece is pushed
 * there. Throws BAD_FRAME on anything else.
 */
export function decodeManifestEntries(piece: Uint8Array, withHeader: boolean, ends?: number[]): ManifestEntry[] {
  const state: State = { start: 0, end: piece.byteLength, buffer: piece }
  const out: ManifestEntry[] = []
  try {
    if (withHeader) {
      flags.decode(state)
      c.uint.decode(state)
    }
    while (state.start < state.end) {
      out.push(entryCodec.decode(state))
      ends?.push(state.start)
    }
  } catch (err) {
    if (err instanceof Error && (err as { code?: string }).code === 'BAD_FRAME') throw err
    throw badFrame(`malformed manifest piece: ${(err as Error).message}`)
  }
  if (state.start !== state.end) throw badFrame('manifest piece ends inside an entry')
  return out
}

/**
 * The one entry encoded at `start` in `buf` (not past `end`), and where it ends. Throws BAD_FRAME
 * when the bytes there are not an entry.
 */
export function decodeEntryAt(buf: Uint8Array, start: number, end: number): { entry: ManifestEntry; end: number } {
  const state: State = { start, end, buffer: buf }
  try {
    const entry = entryCodec.decode(state)
    return { entry, end: state.start }
  } catch (err) {
    if (err instanceof Error && (err as { code?: string }).code === 'BAD_FRAME') throw err
    throw badFrame(`malformed manifest entry: ${(err as Error).message}`)
  }
}

/** The path of the entry encoded at `start` in `buf`, read without the rest of the entry. Throws BAD_FRAME. */
export function entryPathAt(buf: Uint8Array, start: number, end: number): string {
  const state: State = { start, end, buffer: buf }
  try {
    flags.decode(state)
    c.uint8.decode(state)
    return pathString.decode(state)
  } catch (err) {
    if (err instanceof Error && (err as { code?: string }).code === 'BAD_FRAME') throw err
    throw badFrame(`malformed manifest entry: ${(err as Error).message}`)
  }
}

/**
 * How a node keeps a manifest on disk: the hashes of its pieces (stored as chunks, shared by
 * every snapshot that has them), each flagged when it holds whole entries.
 */
export interface PieceList {
  manifestSize: number
  pieces: Array<{ hash: string; whole: boolean }>
}

const WHOLE_ENTRIES = 1
const pieceRef: Encoding<{ hash: string; whole: boolean }> = {
  preencode(state, p) {
    flags.preencode(state, 0)
    hex32.preencode(state, p.hash)
  },
  encode(state, p) {
    flags.encode(state, p.whole ? WHOLE_ENTRIES : 0)
    hex32.encode(state, p.hash)
  },
  decode(state) {
    const f = flags.decode(state)
    return { whole: (f & WHOLE_ENTRIES) !== 0, hash: hex32.decode(state) }
  }
}

export const pieceListCodec: Encoding<PieceList> = {
  preencode(state, l) {
    flags.preencode(state, 0)
    manifestSize.preencode(state, l.manifestSize)
    pieceRefs.preencode(state, l.pieces)
  },
  encode(state, l) {
    flags.encode(state, 0)
    manifestSize.encode(state, l.manifestSize)
    pieceRefs.encode(state, l.pieces)
  },
  decode(state) {
    flags.decode(state)
    return { manifestSize: manifestSize.decode(state), pieces: pieceRefs.decode(state) }
  }
}

const pieceRefs = fittedArray(pieceRef, Number.MAX_SAFE_INTEGER, 33)

export const encodeManifest = (m: Manifest): Buffer => encodeExact(manifestCodec, m)
export const decodeManifest = (buf: Uint8Array): Manifest => decodeExact(manifestCodec, buf)
export const encodePieceList = (l: PieceList): Buffer => encodeExact(pieceListCodec, l)
export const decodePieceList = (buf: Uint8Array): PieceList => decodeExact(pieceListCodec, buf)
