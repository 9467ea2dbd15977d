import type { Manifest, ManifestEntry, Snapnode } from '../core/snapnode.js'
import type { EncodedManifest } from '../protocol/manifest-codec.js'
import type { ChunkRun, ReplicationMessage } from '../protocol/volume-messages.js'
import type { KnownPiece } from './manifest-assembly.js'
import { ProgressMeter } from './transfer-progress.js'

export type Offer = Extract<ReplicationMessage, { type: 'offer' }>

/** A snapshot a receiver is fetching: its manifest's pieces first, then the chunks it lacks. */
export interface Transfer {
  snapnode: Snapnode
  manifestSize: number
  pieces: string[]
  /** Manifest pieces at hand: from a local manifest, then as received. Kept in memory only. */
  pieceData: Map<string, Uint8Array>
  phase: 'manifest' | 'chunks' | 'commit'
  pending: string[]
  outstanding: Set<string>
  /** Chunks handed to the store whose put has not settled. */
  writing: number
  stored: string[]
  manifest: Manifest | null
  manifestBytes: Buffer | null
  /** Where the manifest's header and entries end in its bytes (for cutting it into pieces). */
  manifestEnds: number[] | null
  /** The manifest passed checkManifest. */
  checked: boolean
  meter: ProgressMeter
  done: boolean
  loading: boolean
  /** The sender takes bases and answers with patches. */
  patches: boolean
  /** Runs to name in wants, by the hash of their first chunk. */
  runs: Map<string, ChunkRun[]>
  /** Pieces of the local manifest the offered one is read against (see manifest-assembly.ts). */
  known: Map<string, KnownPiece>
  /** That local manifest, encoded: changed pieces are read entry by entry against it. */
  against: EncodedManifest | null
  /** The local snapshot whose manifest `known` and `against` are (and where bases for patches are looked for). */
  knownFrom: string | null
  /** The manifest's entries that were decoded, not taken from the local one. */
  fresh: ManifestEntry[]
}

export function newTransfer(offer: Offer): Transfer {
  const snapnode = offer.snapnode
  return {
    snapnode,
    manifestSize: offer.manifestSize,
    pieces: offer.manifestPieces,
    pieceData: new Map(),
    phase: 'manifest',
    pending: [],
    outstanding: new Set(),
    writing: 0,
    stored: [],
    manifest: null,
    manifestBytes: null,
    manifestEnds: null,
    checked: false,
    meter: new ProgressMeter(snapnode.id),
    done: false,
    loading: false,
    patches: offer.patches === true,
    runs: new Map(),
    known: new Map(),
    against: null,
    knownFrom: null,
    fresh: []
  }
}
