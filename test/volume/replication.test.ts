import { describe, expect, it } from 'vitest'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { checkout } from '../../src/volume/checkout.js'
import { decodeReplication } from '../../src/protocol/volume-messages.js'
import type { ReplicationProgress } from '../../src/volume/transfer-progress.js'

import { buildTree, expectSameTree, pseudoRandom, waitFor } from './helpers.js'
import { connect, twoNodes } from './replication-harness.js'

describe('replication over a link', () => {
  it('a full sync commits the snapshot on the replica, byte-identical after checkout, and records holders', async () => {
    const { master, replica } = await twoNodes()
    await buildTree(master.root)
    const { snapnode } = await master.snapshotter.snapshot({ epoch: 1 })
    const progress: ReplicationProgress[] = []
    const { sender, commits } = connect(master, replica, { receiver: { onProgress: (p) => progress.push(p) } })
    const result = await sender.send(snapnode.id)
    expect(result.holder).toBe(replica.id)
    expect(commits.map((n) => n.id)).toEqual([snapnode.id])
    expect(replica.snapshots.get(snapnode.id)!.holders).toEqual([master.id, replica.id].sort())
    expect(master.snapshots.get(snapnode.id)!.holders).toEqual([master.id, replica.id].sort())

    const target = join(replica.home, 'app')
    await checkout({ chunks: replica.chunks, manifest: await replica.snapshots.readManifest(snapnode.id), target, mode: 'fresh' })
    await expectSameTree(master.root, target)

    const last = progress.at(-1)!
    expect(last.phase).toBe('done')
    expect(last.chunks).toBe(last.totalChunks)
    expect(last.bytes).toBeGreaterThan(1_500_000)
  })

  it('an incremental snapshot sends only the changed chunks', async () => {
    const { master, replica } = await twoNodes()
    const big = pseudoRandom(4 * 1024 * 1024)
    await writeFile(join(master.root, 'big.bin'), big)
    for (let i = 0; i < 30; i++) await writeFile(join(master.root, `small-${i}`), pseudoRandom(3000))
    const first = await master.snapshotter.snapshot({ epoch: 1 })
    const { sender } = connect(master, replica)
    const full = await sender.send(first.snapnode.id)

    // Insert 10 kB in the middle of the big file and rewrite two small files.
    const mid = 2 * 1024 * 1024
    await writeFile(join(master.root, 'big.bin'), Buffer.concat([big.subarray(0, mid), pseudoRandom(10_000), big.subarray(mid)]))
    await writeFile(join(master.root, 'small-3'), pseudoRandom(3000))
    await writeFile(join(master.root, 'small-4'), pseudoRandom(3000))
    const second = await master.snapshotter.snapshot({ epoch: 1 })
    const fileChunksNew = second.stats.newChunks
    expect(fileChunksNew).toBeGreaterThanOrEqual(3)
    expect(fileChunksNew).toBeLessThanOrEqual(8)

    const inc = await sender.send(second.snapnode.id)
    // Exactly the new file chunks plus the changed pieces of the manifest, nothing else.
    const oldPieces = new Set((await master.snapshots.readPieces(first.snapnode.id)).map((p) => p.hash))
    const newPieces = (await master.snapshots.readPieces(second.snapnode.id)).filter((p) => !oldPieces.has(p.hash)).length
    expect(inc.chunksSent).toBe(fileChunksNew + newPieces)
    expect(inc.bytesSent).toBeLessThan(full.bytesSent / 8)

    const target = join(replica.home, 'app')
    await checkout({ chunks: replica.chunks, manifest: await replica.snapshots.readManifest(second.snapnode.id), target, mode: 'fresh' })
    await expectSameTree(master.root, target)
  })

  it('a link cut mid-transfer resumes on a new link without resending stored chunks', async () => {
    const { master, replica } = await twoNodes()
    for (let i = 0; i < 8; i++) await writeFile(join(master.root, `f${i}`), pseudoRandom(512 * 1024))
    const { snapnode, stats } = await master.snapshotter.snapshot({ epoch: 1 })
    const totalChunks = stats.newChunks

    let delivered = 0
    const first = connect(master, replica, {
      link: { onDeliver: (f, from) => !(from === 'a' && decodeReplication(f).type === 'chunk' && ++delivered > totalChunks / 2) }
    })
    await expect(first.sender.send(snapnode.id)).rejects.toMatchObject({ code: 'LINK_CLOSED' })
    expect(first.errors.map((e) => e.code)).toContain('LINK_CLOSED')
    expect(replica.snapshots.has(snapnode.id)).toBe(false)

    // Every chunk frame that reached the replica (all but the one the cut swallowed) was verified;
    // the file chunks among them are stored even though the transfer was aborted. (Manifest
    // pieces, sent first, live in memory only.)
    const pieces = (await master.snapshots.readPieces(snapnode.id)).length
    const stored = delivered - 1 - pieces
    await waitFor(() => replica.chunks.count === stored)

    const second = connect(master, replica)
    const resumed = await second.sender.send(snapnode.id)
    expect(replica.snapshots.has(snapnode.id)).toBe(true)
    // Only what never arrived is sent again (plus the small manifest).
    expect(resumed.chunksSent).toBe(totalChunks - stored + pieces)
    // Every file chunk, plus the manifest's pieces, which the commit keeps as chunks.
    expect(replica.chunks.count).toBe(totalChunks + pieces)
    const target = join(replica.home, 'app')
    await checkout({ chunks: replica.chunks, manifest: await replica.snapshots.readManifest(snapnode.id), target, mode: 'fresh' })
    await expectSameTree(master.root, target)
  })

  it('offering a snapshot the replica already holds is acknowledged without data', async () => {
    const { master, replica } = await twoNodes()
    await writeFile(join(master.root, 'a'), 'a')
    const { snapnode } = await master.snapshotter.snapshot({ epoch: 1 })
    const { sender } = connect(master, replica)
    await sender.send(snapnode.id)
    const again = await sender.send(snapnode.id)
    expect(again.chunksSent).toBe(0)
  })

  it('honours a bandwidth limit and reports rate and ETA', async () => {
    const { master, replica } = await twoNodes()
    await writeFile(join(master.root, 'blob'), pseudoRandom(600 * 1024))
    const { snapnode } = await master.snapshotter.snapshot({ epoch: 1 })
    const seen: ReplicationProgress[] = []
    const { sender } = connect(master, replica, { sender: { bandwidthLimit: 2 * 1024 * 1024, onProgress: (p) => seen.push(p) } })
    const r = await sender.send(snapnode.id)
    const rate = (r.bytesSent * 1000) / r.durationMs
    expect(r.durationMs).toBeGreaterThanOrEqual(200)
    expect(rate).toBeLessThan(2.5 * 1024 * 1024)
    const mid = seen.find((p) => p.chunks > 1 && p.chunks < p.totalChunks)
    expect(mid?.etaMs).toBeGreaterThan(0)
    expect(mid?.rate).toBeGreaterThan(0)
  })

  it('a receiver keeps its committed data when the sender vanishes', async () => {
    const { master, replica } = await twoNodes()
    await writeFile(join(master.root, 'a'), 'first')
    const one = await master.snapshotter.snapshot({ epoch: 1 })
    const link = connect(master, replica)
    await link.sender.send(one.snapnode.id)
    link.pair.cut()
    await waitFor(() => link.errors.length === 0 && replica.snapshots.has(one.snapnode.id))
    const target = join(replica.home, 'app')
    await checkout({ chunks: replica.chunks, manifest: await replica.snapshots.readManifest(one.snapnode.id), target, mode: 'fresh' })
    expect(await readFile(join(target, 'a'), 'utf8')).toBe('first')
  })
})
