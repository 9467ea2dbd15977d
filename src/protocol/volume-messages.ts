import c, { type Encoding, type State } from 'compact-encoding'
import { badFrame } from '../core/errors.js'
import type { Snapnode } from '../core/snapnode.js'
import { boundedString, decodeExact, encodeExact, fittedArray, hex32, uintMax } from './codec-util.js'
import { MAX_MANIFEST_BYTES } from './manifest-codec.js'

/** Frame kinds on the replication channel. Values are stable; new kinds are appended. */
export const REPLICATION = {
  offer: 1,
  want: 2,
  chunk: 3,
  ack: 4,
  error: 5,
  patch: 6
} as const

/** Hard cap on one chunk's payload, whatever chunker parameters the sender uses. */
export const MAX_CHUNK_BYTES = 4 * 1024 * 1024
/**
 * Chunk bytes a sender pushes ahead of one offer at most, and a receiver takes (see the ack's
 * `push`): what a snapshot of a busy volume adds in a second, not a whole new volume.
 */
export const PUSH_AHEAD_BYTES = 64 * 1024 * 1024
export const MAX_MANIFEST_PIECES = 65_536
export const MAX_WANT_HASHES = 65_536
export const MAX_HOLDERS = 4096

/**
 * A run of consecutive chunks of one file that a receiver lacks (`chunks`, in file order), with
 * the chunks it holds that stood in their place in an older version of the file (`old`).
 */
export interface ChunkRun {
  chunks: string[]
  old: string[]
}

/** One piece of a patched chunk: bytes of a chunk the receiver holds, or new bytes. */
export type PatchPiece = { base: string; offset: number; length: number } | { literal: Uint8Array }

/** Pieces in one patch frame, at most. */
export const MAX_PATCH_PIECES = 256

export type ReplicationMessage =
  /**
   * Sender → receiver: here is a snapshot. Its manifest (encoded with `manifestCodec`,
   * `manifestSize` bytes) is itself split into content-defined pieces, listed in order, so an
   * incremental snapshot only ships the pieces of the manifest that changed.
   */
  | {
      type: 'offer'
      snapnode: Snapnode
      manifestSize: number
      manifestPieces: string[]
      /** The sender can answer wants that name bases with patch frames (flag; older senders cannot). */
      patches?: true
    }
  /**
   * Receiver → sender: send these chunks (or manifest pieces) of snapshot `id`. Sent in batches
   * as room frees up; `total` is how many this phase asks for in all (for progress figures).
   */
  | {
      type: 'want'
      id: string
      total: number
      hashes: string[]
      /**
       * Only to a sender whose offer said `patches`: runs (see volume/chunk-runs.ts) whose first
       * chunk is in `hashes`; their chunks may come as patches on the old ones.
       */
      runs?: ChunkRun[]
    }
  /** Sender → receiver: one chunk; the receiver checks that sha256(data) is `hash`. */
  | { type: 'chunk'; hash: string; data: Uint8Array }
  /**
   * Sender → receiver: chunk `hash` as its bytes in order, pieces of chunks the receiver holds
   * and new bytes. The receiver rebuilds it and checks sha256 as for a chunk.
   */
  | { type: 'patch'; hash: string; pieces: PatchPiece[] }
  /**
   * Receiver → sender: snapshot `id` is committed on `holder`. `push` (flag; older receivers do
   * not set it): send the new chunks of the next snapshot made on top of `id` ahead of its
   * offer, as chunk and patch frames nobody asked for, up to PUSH_AHEAD_BYTES.
   */
  | { type: 'ack'; id: string; holder: string; push?: true }
  /** Either way: the transfer of `id` failed with a ShoalError code. */
  | { type: 'error'; id: string; code: string; message: string }

const flags = c.uint
const safeUint = uintMax(Number.MAX_SAFE_INTEGER, 'integer')
const hashList = fittedArray(hex32, MAX_WANT_HASHES, 32)
const holders = fittedArray(hex32, MAX_HOLDERS, 32)

const HAS_PARENT = 1
/** offer: the sender sends patches. */
const OFFER_PATCHES = 1
/** want: a list of runs follows the hashes. */
const WANT_RUNS = 1
/** ack: the receiver takes chunks pushed ahead of the next offer. */
const ACK_PUSH = 1
/** A patch piece: copied bytes, or new ones. */
const PIECE_COPY = 0
const PIECE_LITERAL = 1

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

const runCodec: Encoding<ChunkRun> = {
  preencode(state, r) {
    hashList.preencode(state, r.chunks)
    hashList.preencode(state, r.old)
  },
  encode(state, r) {
    hashList.encode(state, r.chunks)
    hashList.encode(state, r.old)
  },
  decode(state) {
    return { chunks: hashList.decode(state), old: hashList.decode(state) }
  }
}
const runList = fittedArray(runCodec, MAX_WANT_HASHES, 2)
const pieceLength = uintMax(MAX_CHUNK_BYTES, 'patch piece')

const patchPieceCodec: Encoding<PatchPiece> = {
  preencode(state, p) {
    c.uint8.preencode(state, 0)
    if ('literal' in p) chunkData.preencode(state, p.literal)
    else {
      hex32.preencode(state, p.base)
      pieceLength.preencode(state, p.offset)
      pieceLength.preencode(state, p.length)
    }
  },
  encode(state, p) {
    c.uint8.encode(state, 'literal' in p ? PIECE_LITERAL : PIECE_COPY)
    if ('literal' in p) chunkData.encode(state, p.literal)
    else {
      hex32.encode(state, p.base)
      pieceLength.encode(state, p.offset)
      pieceLength.encode(state, p.length)
    }
  },
  decode(state) {
    const kind = c.uint8.decode(state)
    if (kind === PIECE_LITERAL) return { literal: chunkData.decode(state) }
    if (kind !== PIECE_COPY) throw badFrame(`unknown patch piece kind ${kind}`)
    return { base: hex32.decode(state), offset: pieceLength.decode(state), length: pieceLength.decode(state) }
  }
}
const patchPieces = fittedArray(patchPieceCodec, MAX_PATCH_PIECES, 2)

const manifestSize = uintMax(MAX_MANIFEST_BYTES, 'manifest')
const pieces = fittedArray(hex32, MAX_MANIFEST_PIECES, 32)
const codeString = boundedString(64)
const messageString = boundedString(1024)

function bodyFlags(m: ReplicationMessage): number {
  switch (m.type) {
    case 'offer':
      return m.patches ? OFFER_PATCHES : 0
    case 'want':
      return m.runs !== undefined ? WANT_RUNS : 0
    case 'ack':
      return m.push ? ACK_PUSH : 0
    default:
      return 0
  }
}

function encodeBody(state: State, m: ReplicationMessage, pass: 'preencode' | 'encode'): void {
  flags[pass](state, bodyFlags(m))
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
      if (m.runs !== undefined) runList[pass](state, m.runs)
      return
    case 'chunk':
      hex32[pass](state, m.hash)
      chunkData[pass](state, m.data)
      return
    case 'patch':
      hex32[pass](state, m.hash)
      patchPieces[pass](state, m.pieces)
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
    const f = flags.decode(state)
    switch (kind) {
      case REPLICATION.offer: {
        const offer: ReplicationMessage = { type: 'offer', snapnode: snapnodeCodec.decode(state), manifestSize: manifestSize.decode(state), manifestPieces: pieces.decode(state) }
        if (f & OFFER_PATCHES) offer.patches = true
        return offer
      }
      case REPLICATION.want: {
        const want: ReplicationMessage = { type: 'want', id: hex32.decode(state), total: safeUint.decode(state), hashes: hashList.decode(state) }
        if (f & WANT_RUNS) want.runs = runList.decode(state)
        return want
      }
      case REPLICATION.chunk:
        return { type: 'chunk', hash: hex32.decode(state), data: chunkData.decode(state) }
      case REPLICATION.patch:
        return { type: 'patch', hash: hex32.decode(state), pieces: patchPieces.decode(state) }
      case REPLICATION.ack: {
        const ack: ReplicationMessage = { type: 'ack', id: hex32.decode(state), holder: hex32.decode(state) }
        if (f & ACK_PUSH) ack.push = true
        return ack
      }
      case REPLICATION.error:
        return { type: 'error', id: hex32.decode(state), code: codeString.decode(state), message: messageString.decode(state) }
      default:
        throw badFrame(`unknown replication frame kind ${kind}`)
    }
  }
}

export const encodeReplication = (m: ReplicationMessage): Buffer => encodeExact(replicationMessage, m)

/**
 * A chunk frame as its head and the chunk's bytes: together the same bytes as
 * `encodeReplication({ type: 'chunk', hash, data })`, without copying `data` into a new frame.
 */
export function encodeChunkFrame(hash: string, data: Uint8Array): [Buffer, Uint8Array] {
  const state: State = { start: 0, end: 0, buffer: null as unknown as Buffer }
  c.uint8.preencode(state, REPLICATION.chunk)
  flags.preencode(state, 0)
  hex32.preencode(state, hash)
  c.uint.preencode(state, data.byteLength)
  const head = Buffer.allocUnsafe(state.end)
  state.buffer = head
  c.uint8.encode(state, REPLICATION.chunk)
  flags.encode(state, 0)
  hex32.encode(state, hash)
  c.uint.encode(state, data.byteLength)
  return [head, data]
}
/** Throws ShoalError BAD_FRAME on anything malformed. A chunk's data is a view into `buf`. */
export const decodeReplication = (buf: Uint8Array): ReplicationMessage => decodeExact(replicationMessage, buf)
export const encodeSnapnode = (n: Snapnode): Buffer => encodeExact(snapnodeCodec, n)
export const decodeSnapnode = (buf: Uint8Array): Snapnode => decodeExact(snapnodeCodec, buf)
