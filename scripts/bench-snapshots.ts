// Snapshot storage benchmark: a volume of many small files snapshotted again and again with
// one file changed each time, as a busy app's volume is (at most once a second, all kept for an
// hour by default). Compares, in one run, what Shoal keeps per snapshot (a piece list plus the
// manifest pieces that changed) with keeping each manifest whole, and its garbage collection
// (each distinct piece read once) with decoding every snapshot's manifest.
//   npm run bench:snapshots -- [--files N] [--snapshots N] [--json]
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ChunkStore } from '../src/volume/chunk-store.js'
import { collectGarbage } from '../src/volume/gc.js'
import { SnapshotStore } from '../src/volume/snapshot-store.js'
import { Snapshotter } from '../src/volume/snapshotter.js'

const args = process.argv.slice(2)
const arg = (name: string, dflt: number) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : dflt)
const FILES = arg('--files', 10_000)
const SNAPSHOTS = arg('--snapshots', 200)
const asJson = args.includes('--json')
const log = (...a: unknown[]) => (asJson ? console.error(...a) : console.log(...a))

async function folderBytes(dir: string): Promise<number> {
  let n = 0
  for (const name of await readdir(dir)) n += (await stat(join(dir, name))).size
  return n
}

async function main(): Promise<void> {
  const base = await mkdtemp(join(tmpdir(), 'shoal-bench-snapshots-'))
  try {
    const root = join(base, 'live')
    for (let i = 0; i < FILES; i++) {
      if (i % 250 === 0) await mkdir(join(root, `dir-${i / 250}`), { recursive: true })
      await writeFile(join(root, `dir-${Math.floor(i / 250)}`, `file-${i}.txt`), `record ${i}\n`.repeat(20))
    }
    const chunks = new ChunkStore(join(base, 'chunks'))
    const snapshots = new SnapshotStore(join(base, 'snapshots'), chunks)
    await chunks.open()
    await snapshots.open()
    const snapshotter = new Snapshotter({ root, chunks, snapshots, origin: 'ab'.repeat(32), racyMs: 0, fineRacyMs: 0 })
    const first = await snapshotter.snapshot({ epoch: 1 })
    const manifestBytes = (await snapshots.readManifestBytes(first.snapnode.id)).byteLength
    log(`${FILES} files, manifest ${manifestBytes} bytes; taking ${SNAPSHOTS} snapshots, one file changed before each`)
    const t0 = performance.now()
    for (let k = 0; k < SNAPSHOTS; k++) {
      const i = (k * 7919) % FILES
      await writeFile(join(root, `dir-${Math.floor(i / 250)}`, `file-${i}.txt`), `changed ${k}\n`)
      await snapshotter.snapshot({ epoch: 1 })
    }
    const perSnapshotMs = (performance.now() - t0) / SNAPSHOTS
    const ids = snapshots.list().map((n) => n.id)

    // What is kept for the manifests: the piece lists, plus every distinct piece once.
    const pieces = new Map<string, number>()
    for (const id of ids) for (const p of (await snapshots.pieceList(id))!.pieces) if (!pieces.has(p.hash)) pieces.set(p.hash, chunks.size(p.hash)!)
    const listBytes = await folderBytes(join(base, 'snapshots', 'manifests'))
    const pieceBytes = [...pieces.values()].reduce((a, b) => a + b, 0)
    const shoalBytes = listBytes + pieceBytes
    const wholeBytes = ids.length * manifestBytes

    // Garbage collection's reading, side by side: Shoal's (pieces) and every manifest decoded.
    let t = performance.now()
    await collectGarbage({ chunks, stores: [snapshots] })
    const gcMs = performance.now() - t
    t = performance.now()
    const live = new Set<string>()
    for (const id of ids) for (const e of (await snapshots.readManifest(id)).entries) if (e.kind === 'file') for (const h of e.chunks) live.add(h)
    const decodeAllMs = performance.now() - t

    const result = {
      files: FILES,
      snapshots: ids.length,
      manifest_bytes: manifestBytes,
      snapshot_ms: Number(perSnapshotMs.toFixed(1)),
      kept_bytes: shoalBytes,
      kept_bytes_whole_manifests: wholeBytes,
      kept_vs_whole: Number((shoalBytes / wholeBytes).toFixed(4)),
      gc_ms: Math.round(gcMs),
      decode_every_manifest_ms: Math.round(decodeAllMs),
      gc_vs_decode_every_manifest: Number((gcMs / decodeAllMs).toFixed(3))
    }
    log(`manifests kept: ${(shoalBytes / 1e6).toFixed(2)} MB (piece lists ${(listBytes / 1e6).toFixed(2)} MB + ${pieces.size} distinct pieces ${(pieceBytes / 1e6).toFixed(2)} MB)`)
    log(`  kept whole, one per snapshot: ${(wholeBytes / 1e6).toFixed(1)} MB → ratio ${result.kept_vs_whole}`)
    log(`garbage collection: ${result.gc_ms} ms; decoding every manifest (what it would cost without pieces): ${result.decode_every_manifest_ms} ms → ratio ${result.gc_vs_decode_every_manifest}`)
    log(`one snapshot of the ${FILES}-file volume: ${result.snapshot_ms} ms on average`)
    if (asJson) console.log(JSON.stringify(result))
  } finally {
    await rm(base, { recursive: true, force: true })
  }
}

main().catch((err: unknown) => {
  console.error(err)
  process.exitCode = 1
})
