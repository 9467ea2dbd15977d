import { ShoalError } from '../core/errors.js'
import type { Manifest, ManifestEntry } from '../core/snapnode.js'
import { MAX_MANIFEST_BYTES, decodeManifestBounded } from '../protocol/manifest-codec.js'
import { MAX_CHUNK_BYTES } from '../protocol/volume-messages.js'
import type { ChunkStore } from './chunk-store.js'
import type { Offer, Transfer } from './incoming-transfer.js'
import { assembleManifest, knownPieces } from './manifest-assembly.js'
import { snapshotId } from './snapshot-id.js'
import type { SnapshotStore } from './snapshot-store.js'

/** Refuses (BAD_MANIFEST) an offer whose manifest size and number of pieces cannot both be true. */
export function checkOffer(offer: Offer): void {
  if (offer.manifestSize > MAX_MANIFEST_BYTES || offer.manifestPieces.length > offer.manifestSize || offer.manifestPieces.length * MAX_CHUNK_BYTES < offer.manifestSize) {
    throw new ShoalError('BAD_MANIFEST', `manifest of ${offer.manifestSize} bytes in ${offer.manifestPieces.length} pieces is impossible`)
  }
}

/**
 * Puts the offered manifest's pieces this node already has into `t.pieceData`, so that only the
 * rest is fetched, and, from the local manifest they came from, `t.known`, `t.against` and
 * `t.knownFrom`.
 */
export async function takeLocalPieces(t: Transfer, snapshots: SnapshotStore, chunks: ChunkStore): Promise<void> {
  // Most of a new manifest is unchanged from its parent (or our newest one): take those pieces
  // from the local copy and fetch only the rest.
  const local = snapshotsHave(snapshots, t.snapnode.parent) ?? snapshots.head()?.id ?? null
  if (local) {
    const pieces = await snapshots.readPieces(local)
    for (const p of pieces) t.pieceData.set(p.hash, p.data)
    const decoded = await snapshots.readManifestBounded(local)
    t.known = knownPieces(pieces, decoded.manifest, decoded.ends)
    t.against = { manifest: decoded.manifest, ends: decoded.ends, bytes: Buffer.concat(pieces.map((p) => p.data)) }
    t.knownFrom = local
  }
  // Pieces of any other manifest this node keeps are chunks in its store too. More bytes
  // than the offered manifest's size cannot all be its pieces: an offer naming them is a lie.
  let held = 0
  for (const h of new Set(t.pieces)) {
    if (t.pieceData.has(h) || !chunks.has(h)) continue
    held += chunks.size(h) ?? 0
    if (held > t.manifestSize) throw new ShoalError('BAD_MANIFEST', `offer names more manifest pieces than its ${t.manifestSize} bytes can hold`)
    t.pieceData.set(h, await chunks.get(h))
  }
}

function snapshotsHave(snapshots: SnapshotStore, id: string | null): string | null {
  return id !== null && snapshots.has(id) ? id : null
}

/**
 * The offered manifest, once all its pieces are at hand (they are let go of, with `t.known`):
 * its bytes, decoded, and in `fresh` the entries that were decoded rather than taken from known
 * pieces. BAD_MANIFEST when the bytes are not the size offered, do not decode, or do not give
 * the snapshot's id.
 */
export function assembleOffered(t: Transfer): { bytes: Buffer; manifest: Manifest; ends: number[]; fresh: ManifestEntry[] } {
  const pieces = t.pieces.map((hash) => ({ hash, data: t.pieceData.get(hash)! }))
  const bytes = Buffer.concat(pieces.map((p) => p.data))
  t.pieceData.clear()
  if (bytes.byteLength !== t.manifestSize) throw new ShoalError('BAD_MANIFEST', `manifest is ${bytes.byteLength} bytes, offer said ${t.manifestSize}`)
  // Entries of pieces the local manifest has are taken from it; only the rest is decoded.
  const assembled = t.known.size > 0 ? assembleManifest(pieces, t.known, t.against ?? undefined) : null
  t.known.clear()
  t.against = null
  let manifest: Manifest
  let ends: number[]
  let fresh: ManifestEntry[]
  if (assembled !== null) ({ manifest, ends, fresh } = assembled)
  else {
    try {
      ;({ manifest, ends } = decodeManifestBounded(bytes))
    } catch (err) {
      throw new ShoalError('BAD_MANIFEST', `manifest does not decode: ${(err as Error).message}`)
    }
    fresh = manifest.entries
  }
  if (snapshotId(bytes, t.snapnode) !== t.snapnode.id) throw new ShoalError('BAD_MANIFEST', 'snapshot id does not match its manifest and lineage')
  return { bytes, manifest, ends, fresh }
}
