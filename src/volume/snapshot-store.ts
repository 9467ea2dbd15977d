import { mkdir, readFile, readdir, rename, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { ShoalError } from '../core/errors.js'
import type { Manifest, Snapnode } from '../core/snapnode.js'
import type { Lineage } from '../core/snapshot-graph.js'
import { decodeManifestBounded, decodePieceList, encodePieceList, type PieceList } from '../protocol/manifest-codec.js'
import { decodeSnapnode, encodeSnapnode } from '../protocol/volume-messages.js'
import { chunkHash } from './chunk-hash.js'
import type { ChunkStore } from './chunk-store.js'
import { TMP_PREFIX, fsyncDir, writeFileAtomic, writeTmpSynced } from './fs-atomic.js'
import { cutManifest, entryEnds, type ManifestPiece } from './manifest-pieces.js'

const HEX64 = /^[0-9a-f]{64}$/
const STASH_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/
/** Starts a manifest kept as a piece list. A manifest kept whole (older nodes) starts with 0. */
const PIECE_LIST_MAGIC = Buffer.from('SHMP')
/** Decoded manifests kept in memory (see readManifest). */
export const DECODED_MANIFESTS = 4

/** A manifest with where its header and each entry end in its bytes. */
export interface DecodedManifest {
  manifest: Manifest
  ends: readonly number[]
  /** Its pieces, when it was committed here (see readPieces). */
  pieces?: readonly ManifestPiece[]
}

/**
 * The snapshots of one volume on this node, on disk under `dir`:
 *   manifests/<id>   the manifest's piece list (see manifest-pieces.ts; the pieces are chunks
 *                    in the node's chunk store), or, as older nodes wrote it, the whole manifest
 *   nodes/<id>       encoded snapnode (its presence = committed)
 *   ghosts/<id>      snapnode of a pruned snapshot, kept so lineages stay walkable
 *   stashes/<name>   JSON list of ids kept under a named branch
 * Snapnodes are held in memory; manifests are read on demand. Not safe for two processes.
 */
export class SnapshotStore {
  readonly dir: string
  private readonly nodes = new Map<string, Snapnode>()
  private readonly ghosts = new Map<string, Snapnode>()
  private readonly stashMap = new Map<string, string[]>()
  private readonly decoded = new Map<string, DecodedManifest>()
  private opening: Promise<void> | null = null
  /** Serialises holder updates so the last write carries every holder. */
  private writes: Promise<void> = Promise.resolve()

  constructor(
    dir: string,
    /** The node's chunk store, where manifest pieces are kept. */
    readonly chunks: ChunkStore
  ) {
    this.dir = dir
  }

  /** Loads the store, removing temporary files and manifests whose commit never finished. */
  open(): Promise<void> {
    this.opening ??= this.load()
    return this.opening
  }

  private async load(): Promise<void> {
    for (const sub of ['manifests', 'nodes', 'ghosts', 'stashes']) await mkdir(join(this.dir, sub), { recursive: true })
    for (const sub of ['manifests', 'nodes', 'ghosts', 'stashes']) {
      for (const name of await readdir(join(this.dir, sub))) {
        if (name.startsWith(TMP_PREFIX)) await unlink(join(this.dir, sub, name)).catch(() => undefined)
      }
    }
    const manifests = new Set(await readdir(join(this.dir, 'manifests')))
    for (const name of await readdir(join(this.dir, 'nodes'))) {
      if (!HEX64.test(name)) continue
      if (!manifests.has(name)) {
        // A commit cut short between its two renames: it never happened.
        await unlink(join(this.dir, 'nodes', name)).catch(() => undefined)
        continue
      }
      this.nodes.set(name, decodeSnapnode(await readFile(join(this.dir, 'nodes', name))))
    }
    for (const name of await readdir(join(this.dir, 'ghosts'))) {
      if (!HEX64.test(name) || this.nodes.has(name)) continue
      this.ghosts.set(name, decodeSnapnode(await readFile(join(this.dir, 'ghosts', name))))
    }
    for (const name of await readdir(join(this.dir, 'manifests'))) {
      if (HEX64.test(name) && !this.nodes.has(name)) await unlink(join(this.dir, 'manifests', name)).catch(() => undefined)
    }
    for (const name of await readdir(join(this.dir, 'stashes'))) {
      if (!STASH_NAME.test(name)) continue
      this.stashMap.set(name, JSON.parse(await readFile(join(this.dir, 'stashes', name), 'utf8')) as string[])
    }
  }

  /** Committed snapshots, oldest first (by seq, then time). */
  list(): Snapnode[] {
    return [...this.nodes.values()].sort((a, b) => a.seq - b.seq || a.time - b.time || (a.id < b.id ? -1 : 1))
  }

  get(id: string): Snapnode | undefined {
    return this.nodes.get(id)
  }

  has(id: string): boolean {
    return this.nodes.has(id)
  }

  /** The newest committed snapshot by (epoch, seq, time), or null when there is none. */
  head(): Snapnode | null {
    let best: Snapnode | null = null
    for (const n of this.nodes.values()) {
      if (!best || n.epoch > best.epoch || (n.epoch === best.epoch && (n.seq > best.seq || (n.seq === best.seq && n.time > best.time)))) best = n
    }
    return best
  }

  /** The lineage from `head` (default: head()) for graph comparison, pruned links included. */
  lineage(head: string | null = this.head()?.id ?? null): Lineage {
    return { head, nodes: [...this.nodes.values(), ...this.ghosts.values()] }
  }

  async readManifestBytes(id: string): Promise<Buffer> {
    const pieces = await this.readPieces(id)
    return Buffer.concat(pieces.map((p) => p.data))
  }

  /**
   * A snapshot's manifest, decoded. The last few read or committed are kept decoded: a replica
   * reads the manifest it just received again to check it out, and the one before it to compare.
   * The object returned is shared: never modify it.
   */
  async readManifest(id: string): Promise<Manifest> {
    return (await this.readManifestBounded(id)).manifest
  }

  /** readManifest, with where the header and each entry end in its bytes (see decodeManifestBounded). */
  async readManifestBounded(id: string): Promise<DecodedManifest> {
    const hit = this.decoded.get(id)
    if (hit !== undefined) {
      this.remember(id, hit)
      return hit
    }
    const decoded = decodeManifestBounded(await this.readManifestBytes(id))
    if (this.nodes.has(id)) this.remember(id, decoded)
    return decoded
  }

  private remember(id: string, decoded: DecodedManifest): void {
    this.decoded.delete(id)
    this.decoded.set(id, decoded)
    for (const old of this.decoded.keys()) {
      if (this.decoded.size <= DECODED_MANIFESTS) break
      this.decoded.delete(old)
    }
  }

  /**
   * A snapshot's manifest as its pieces, bytes included. Pieces are checked against their hashes
   * (BAD_CHUNK when the disk corrupted one). A manifest kept whole is cut as it would travel.
   */
  async readPieces(id: string): Promise<readonly ManifestPiece[]> {
    // The last few committed here are at hand: the master sends each new snapshot right after
    // committing it, and a replica reads the next one's pieces against the one it just committed.
    const hit = this.decoded.get(id)?.pieces
    if (hit !== undefined && this.nodes.has(id)) return hit
    const raw = await this.readRecord(id)
    if (!isPieceList(raw)) return cutManifest(raw)
    const list = decodePieceList(raw.subarray(PIECE_LIST_MAGIC.length))
    // Pieces written by one commit lie back to back in a pack: read together, checked one by one.
    const datas = await this.chunks.readMany(list.pieces.map((p) => p.hash))
    const out: ManifestPiece[] = list.pieces.map((p, i) => {
      if (chunkHash(datas[i]!) !== p.hash) throw new ShoalError('BAD_CHUNK', `manifest piece ${p.hash.slice(0, 12)}… of ${id.slice(0, 12)}… is corrupt`)
      return { hash: p.hash, whole: p.whole, data: datas[i]! }
    })
    const size = out.reduce((n, p) => n + p.data.byteLength, 0)
    if (size !== list.manifestSize) throw new ShoalError('BAD_MANIFEST', `manifest of ${id.slice(0, 12)}… is ${size} bytes, its piece list says ${list.manifestSize}`)
    return out
  }

  /** The piece list of a snapshot's manifest, or null when it is kept whole (older nodes). */
  async pieceList(id: string): Promise<PieceList | null> {
    const raw = await this.readRecord(id)
    return isPieceList(raw) ? decodePieceList(raw.subarray(PIECE_LIST_MAGIC.length)) : null
  }

  private async readRecord(id: string): Promise<Buffer> {
    if (!this.nodes.has(id)) throw new ShoalError('NOT_FOUND', `snapshot ${id.slice(0, 12)}… is not in this store`)
    return readFile(join(this.dir, 'manifests', id))
  }

  /**
   * Commits a snapshot atomically: the snapnode's appearance (with its manifest beside it) is
   * the commit. The caller must have checked the id. `chunks` (the snapshot's chunks not yet
   * durable, e.g. those a snapshot or transfer just stored) are made durable in the same pack
   * as the manifest's pieces, alongside the manifest write, before the commit. `ends` (from
   * encodeManifestBounded) spares finding where the entries end; `manifest`, the bytes decoded,
   * is what readManifest then gives. Committing an id already present only merges holders.
   */
  async commit(snapnode: Snapnode, manifestBytes: Uint8Array, opts: { chunks?: readonly string[]; ends?: readonly number[] | null; manifest?: Manifest } = {}): Promise<Snapnode> {
    await this.open()
    const existing = this.nodes.get(snapnode.id)
    if (existing) {
      await this.chunks.sync(opts.chunks ?? [])
      for (const h of snapnode.holders) await this.addHolder(snapnode.id, h)
      return this.nodes.get(snapnode.id)!
    }
    const node = { ...snapnode, holders: [...new Set(snapnode.holders)].sort() }
    // The manifest is kept as pieces in the chunk store, written out with the snapshot's chunks.
    const ends = opts.ends !== undefined ? opts.ends : entryEnds(manifestBytes)
    const pieces = cutManifest(manifestBytes, ends)
    for (const p of pieces) await this.chunks.put(p.hash, p.data)
    const durable = this.chunks.sync([...(opts.chunks ?? []), ...pieces.map((p) => p.hash)])
    durable.catch(() => undefined) // awaited below
    // Piece list and snapnode are written and fsynced beside their names while the chunks are
    // made durable; then both are renamed into place and their folders fsynced. A crash between
    // the renames can leave a snapnode without its manifest: open() treats that as never committed.
    const manifestPath = join(this.dir, 'manifests', node.id)
    const nodePath = join(this.dir, 'nodes', node.id)
    const list = encodePieceList({ manifestSize: manifestBytes.byteLength, pieces: pieces.map((p) => ({ hash: p.hash, whole: p.whole })) })
    const writes = [writeTmpSynced(manifestPath, [PIECE_LIST_MAGIC, list]), writeTmpSynced(nodePath, encodeSnapnode(node))]
    try {
      const [manifestTmp, nodeTmp] = await Promise.all([...writes, durable])
      await rename(manifestTmp!, manifestPath)
      await rename(nodeTmp!, nodePath)
    } catch (err) {
      for (const w of writes) await w.then((tmp) => unlink(tmp), () => undefined).catch(() => undefined)
      throw err
    }
    await Promise.all([fsyncDir(join(this.dir, 'manifests')), fsyncDir(join(this.dir, 'nodes'))])
    this.nodes.set(node.id, node)
    this.ghosts.delete(node.id)
    if (opts.manifest !== undefined && ends !== null) this.remember(node.id, { manifest: opts.manifest, ends, pieces })
    return node
  }

  /**
   * Records that `holder` has the snapshot completely. Concurrent calls are safe: memory is
   * updated at once and the newest version is what ends up on disk.
   */
  async addHolder(id: string, holder: string): Promise<void> {
    const node = this.nodes.get(id)
    if (!node || node.holders.includes(holder)) return
    this.nodes.set(id, { ...node, holders: [...node.holders, holder].sort() })
    const write = this.writes.then(async () => {
      const latest = this.nodes.get(id)
      if (latest) await writeFileAtomic(join(this.dir, 'nodes', id), encodeSnapnode(latest), { sync: true })
    })
    this.writes = write.catch(() => undefined)
    await write
  }

  /** Deletes a snapshot's manifest; its snapnode is kept as a ghost for lineage walks. */
  async delete(id: string): Promise<void> {
    const node = this.nodes.get(id)
    if (!node) return
    if (this.stashedIds().has(id)) throw new ShoalError('BAD_ARGUMENT', `snapshot ${id.slice(0, 12)}… is stashed; unstash it first`)
    await rename(join(this.dir, 'nodes', id), join(this.dir, 'ghosts', id))
    this.nodes.delete(id)
    this.decoded.delete(id)
    this.ghosts.set(id, node)
    await fsyncDir(join(this.dir, 'nodes'))
    await unlink(join(this.dir, 'manifests', id)).catch(() => undefined)
  }

  /** Keeps `ids` under the branch `name` (never pruned while stashed). Replaces a same-name stash. */
  async stash(name: string, ids: string[]): Promise<void> {
    if (!STASH_NAME.test(name)) throw new ShoalError('BAD_ARGUMENT', `bad stash name ${JSON.stringify(name)}`)
    for (const id of ids) if (!this.nodes.has(id)) throw new ShoalError('NOT_FOUND', `snapshot ${id.slice(0, 12)}… is not in this store`)
    await writeFileAtomic(join(this.dir, 'stashes', name), JSON.stringify(ids), { sync: true })
    this.stashMap.set(name, [...ids])
  }

  async unstash(name: string): Promise<void> {
    if (!this.stashMap.delete(name)) return
    await unlink(join(this.dir, 'stashes', name)).catch(() => undefined)
  }

  stashes(): Record<string, string[]> {
    return Object.fromEntries([...this.stashMap].map(([k, v]) => [k, [...v]]))
  }

  /** Every id kept by some stash. */
  stashedIds(): Set<string> {
    return new Set([...this.stashMap.values()].flat())
  }
}

function isPieceList(raw: Buffer): boolean {
  return raw.byteLength >= PIECE_LIST_MAGIC.length && raw.subarray(0, PIECE_LIST_MAGIC.length).equals(PIECE_LIST_MAGIC)
}
