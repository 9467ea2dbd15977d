import c, { type Encoding, type State } from 'compact-encoding'
import b4a from 'b4a'
import { badFrame } from '../core/errors.js'
import type { Manifest, ManifestEntry, Snapnode } from '../core/snapnode.js'
import { boundedString, decodeExact, encodeExact, finite } from './codec-util.js'

/** Frame kinds on the replication channel. Values are stable; new kinds are appended. */
export const REPLICATION = {
  offer: 1,
  want: 2,
  chunk: 3,
  ack: 4,
  error: 5
} as const

export const MAX_PATH_CHARS = 4096
export const MAX_ENTRIES = 5_000_000
/** Hard cap on one chunk's payload, whatever chunker parameters the sender uses. */
export const MAX_CHUNK_BYTES = 4 * 1024 * 1024
export const MAX_MANIFEST_BYTES = 256 * 1024 * 1024
export const MAX_MANIFEST_PIECES = 65_536
export const MAX_WANT_HASHES = 65_536
export const MAX_HOLDERS = 4096

export type ReplicationMessage =
  /**
   * Sender → receiver: here is a snapshot. Its manifest (encoded with `manifestCodec`,
   * `manifestSize` bytes) is itself split into content-defined pieces, listed in order, so an
   * incremental snapshot only ships the pieces of the manifest that changed.
   */
  | { type: 'offer'; snapnode: Snapnode; manifestSize: number; manifestPieces: string[] }
  /**
   * Receiver → sender: send these chunks (or manifest pieces) of snapshot `id`. Sent in batches
   * as room frees up; `total` is how many this phase asks for in all (for progress figures).
   */
  | { type: 'want'; id: string; total: number; hashes: string[] }
  /** Sender → receiver: one chunk; the receiver checks that sha256(data) is `hash`. */
  | { type: 'chunk'; hash: string; data: Uint8Array }
  /** Receiver → sender: snapshot `id` is committed on `holder`. */
  | { type: 'ack'; id: string; holder: string }
  /** Either way: the transfer of `id` failed with a ShoalError code. */
  | { type: 'error'; id: string; code: string; message: string }

/** 32 bytes on the wire, lowercase hex in memory (snapshot ids, chunk hashes, node ids). */
export const hex32: Encoding<string> = {
  preencode(state) {
    state.end += 32
  },
  encode(state, hex) {
    // Written in place when the target is a Buffer (the usual case): manifests hold many hashes.
    const buf = state.buffer
    const written = hex.length === 64 ? (b4a.isBuffer(buf) ? buf.write(hex, state.start, 32, 'hex') : -1) : 0
    const bytes = written === -1 ? b4a.from(hex, 'hex') : null
    if (bytes?.byteLength === 32) return c.fixed32.encode(state, bytes)
    if (written !== 32) throw badFrame('expected 32 bytes of hex')
    state.start += 32
  },
  decode(state) {
    return b4a.toString(c.fixed32.decode(state), 'hex')
  }
}

/**
 * An array with a length cap that also refuses counts the remaining bytes cannot hold (each
 * element takes at least `minBytes`), so a forged count never allocates anything large.
 */
function fittedArray<T>(enc: Encoding<T>, max: number, minBytes: number): Encoding<T[]> {
  return {
    preencode(state, v) {
      c.uint.preencode(state, v.length)
      for (const x of v) enc.preencode(state, x)
    },
    encode(state, v) {
      c.uint.encode(state, v.length)
      for (const x of v) enc.encode(state, x)
    },
    decode(state) {
      const n = c.uint.decode(state)
      if (n > max) throw badFrame(`array longer than ${max}`)
      if (n * minBytes > state.end - state.start) throw badFrame('array longer than its frame')
      const out = new Array<T>(n)
      for (let i = 0; i < n; i++) out[i] = enc.decode(state)
      return out
    }
  }
}

function uintMax(max: number, what: string): Encoding<number> {
  return {
    preencode: (state, n) => c.uint.preencode(state, n),
    encode: (state, n) => c.uint.encode(state, n),
    decode(state) {
      const n = c.uint.decode(state)
      if (n > max) throw badFrame(`${what} too large`)
      return n
    }
  }
}

const flags = c.uint
const pathString = boundedString(MAX_PATH_CHARS)
const safeUint = uintMax(Number.MAX_SAFE_INTEGER, 'integer')
const hashList = fittedArray(hex32, MAX_WANT_HASHES, 32)
const holders = fittedArray(hex32, MAX_HOLDERS, 32)

const HAS_PARENT = 1

export const snapnodeCodec: Encoding<Snapnode> = {
  preencode(state, n) {
    flags.preencode(state, 0)
    hex32.preencode(state, n.id)
    if (n.parent !== null) hex32.preencode(state, n.parent)
    hex32.preencode(state, n.origin)
    safeUint.preencode(state, n.epoch)
    safeUint.preencode(state, n.seq)
    safeUint.preencode(state, n.time)
    holders.preencode(state, n.holders)
  },
  encode(state, n) {
    flags.encode(state, n.parent !== null ? HAS_PARENT : 0)
    hex32.encode(state, n.id)
    if (n.parent !== null) hex32.encode(state, n.parent)
    hex32.encode(state, n.origin)
    safeUint.encode(state, n.epoch)
    safeUint.encode(state, n.seq)
    safeUint.encode(state, n.time)
    holders.encode(state, n.holders)
  },
  decode(state) {
    const f = flags.decode(state)
    const id = hex32.decode(state)
    const parent = f & HAS_PARENT ? hex32.decode(state) : null
    const origin = hex32.decode(state)
    const epoch = safeUint.decode(state)
    const seq = safeUint.decode(state)
    const time = safeUint.decode(state)
    return { id, parent, origin, epoch, seq, time, holders: holders.decode(state) }
  }
}

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

const chunkData: Encoding<Uint8Array> = {
  preencode: (state, b) => c.buffer.preencode(state, b as Buffer),
  encode: (state, b) => c.buffer.encode(state, b as Buffer),
  decode(state) {
    const save = state.start
    const len = c.uint.decode(state)
    if (len > MAX_CHUNK_BYTES) throw badFrame('chunk too large')
    state.start = save
    return c.buffer.decode(state) ?? new Uint8Array(0)
  }
}

const manifestSize = uintMax(MAX_MANIFEST_BYTES, 'manifest')
const pieces = fittedArray(hex32, MAX_MANIFEST_PIECES, 32)
const codeString = boundedString(64)
const messageString = boundedString(1024)

function encodeBody(state: State, m: ReplicationMessage, pass: 'preencode' | 'encode'): void {
  flags[pass](state, 0)
  switch (m.type) {
    case 'offer':
      snapnodeCodec[pass](state, m.snapnode)
      manifestSize[pass](state, m.manifestSize)
      pieces[pass](state, m.manifestPieces)
      return
    case 'want':
      hex32[pass](state, m.id)
      safeUint[pass](state, m.total)
      hashList[pass](state, m.hashes)
      return
    case 'chunk':
      hex32[pass](state, m.hash)
      chunkData[pass](state, m.data)
      return
    case 'ack':
      hex32[pass](state, m.id)
      hex32[pass](state, m.holder)
      return
    case 'error':
      hex32[pass](state, m.id)
      codeString[pass](state, m.code)
      messageString[pass](state, m.message)
  }
}

/** One frame on the replication channel: a kind byte, then a flags uint, then the body. */
export const replicationMessage: Encoding<ReplicationMessage> = {
  preencode(state, m) {
    c.uint8.preencode(state, REPLICATION[m.type])
    encodeBody(state, m, 'preencode')
  },
  encode(state, m) {
    c.uint8.encode(state, REPLICATION[m.type])
    encodeBody(state, m, 'encode')
  },
  decode(state) {
    const kind = c.uint8.decode(state)
    flags.decode(state)
    switch (kind) {
      case REPLICATION.offer:
        return { type: 'offer', snapnode: snapnodeCodec.decode(state), manifestSize: manifestSize.decode(state), manifestPieces: pieces.decode(state) }
      case REPLICATION.want:
        return { type: 'want', id: hex32.decode(state), total: safeUint.decode(state), hashes: hashList.decode(state) }
      case REPLICATION.chunk:
        return { type: 'chunk', hash: hex32.decode(state), data: chunkData.decode(state) }
      case REPLICATION.ack:
        return { type: 'ack', id: hex32.decode(state), holder: hex32.decode(state) }
      case REPLICATION.error:
        return { type: 'error', id: hex32.decode(state), code: codeString.decode(state), message: messageString.decode(state) }
      default:
        throw badFrame(`unknown replication frame kind ${kind}`)
    }
  }
}

export const encodeReplication = (m: ReplicationMessage): Buffer => encodeExact(replicationMessage, m)
/** Throws ShoalError BAD_FRAME on anything malformed. A chunk's data is a view into `buf`. */
export const decodeReplication = (buf: Uint8Array): ReplicationMessage => decodeExact(replicationMessage, buf)
export const encodeManifest = (m: Manifest): Buffer => encodeExact(manifestCodec, m)
export const decodeManifest = (buf: Uint8Array): Manifest => decodeExact(manifestCodec, buf)
export const encodeSnapnode = (n: Snapnode): Buffer => encodeExact(snapnodeCodec, n)
export const decodeSnapnode = (buf: Uint8Array): Snapnode => decodeExact(snapnodeCodec, buf)
