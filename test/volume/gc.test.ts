import { describe, expect, it } from 'vitest'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { collectGarbage } from '../../src/volume/gc.js'
import { pruneSnapshots } from '../../src/volume/prune.js'
import { checkout } from '../../src/volume/checkout.js'
import { expectSameTree, makeNode, nodeIdOf, pseudoRandom, tempDir } from './helpers.js'

const HOUR = 3_600_000

describe('pruning and garbage collection', () => {
  it('prunes by policy, keeps protected and stashed snapshots, and frees only unreferenced chunks', async () => {
    const home = await tempDir()
    const node = await makeNode(home, nodeIdOf(1))
    const now = Date.now()
    const ids: string[] = []
    // Six snapshots, 10 h apart going back 50 h; each rewrites one file with fresh data.
    for (let i = 0; i < 6; i++) {
      await writeFile(join(node.root, 'data'), pseudoRandom(100_000))
      await writeFile(join(node.root, `keep-${i}`), `${i}`)
      const { snapnode } = await node.snapshotter.snapshot({ epoch: 1, time: now - (5 - i) * 10 * HOUR })
      ids.push(snapnode.id)
    }
    // ids[0] is 50 h old (pruned), ids[1] 40 h (stashed), ids[2] 30 h (the newest a peer holds),
    // ids[3] 20 h (protected by the caller); 10 h and 0 h are within the policy.
    await node.snapshots.stash('lost-split', [ids[1]!])
    await node.snapshots.addHolder(ids[2]!, nodeIdOf(7))
    await node.snapshots.addHolder(ids[0]!, nodeIdOf(7))
    const deleted = await pruneSnapshots(node.snapshots, { now, protectedIds: [ids[3]!] })
    expect(deleted).toEqual([ids[0]])
    expect(node.snapshots.list().map((n) => n.id)).toEqual(ids.slice(1))

    const gc = await collectGarbage({ chunks: node.chunks, stores: [node.snapshots], graceMs: 0 })
    expect(gc.deleted).toBeGreaterThanOrEqual(2) // the first 'data' chunks (+ manifest piece)
    expect(gc.bytesFreed).toBeGreaterThanOrEqual(100_000)

    // Every retained snapshot still checks out completely.
    for (const id of node.snapshots.list().map((n) => n.id)) {
      await checkout({ chunks: node.chunks, manifest: await node.snapshots.readManifest(id), target: join(home, 'co', id), mode: 'fresh' })
    }
    await expectSameTree(node.root, join(home, 'co', ids[5]!))
  })

  it('records concurrent holder updates without losing one', async () => {
    const home = await tempDir()
    const node = await makeNode(home, nodeIdOf(1))
    await writeFile(join(node.root, 'a'), 'a')
    const { snapnode } = await node.snapshotter.snapshot({ epoch: 1 })
    await Promise.all([2, 3, 4, 5].map((n) => node.snapshots.addHolder(snapnode.id, nodeIdOf(n))))
    const reopened = await makeNode(home, nodeIdOf(1), node.root)
    expect(reopened.snapshots.get(snapnode.id)!.holders).toEqual([1, 2, 3, 4, 5].map(nodeIdOf))
  })

  it('keeps recent unreferenced chunks (a transfer in progress may need them)', async () => {
    const home = await tempDir()
    const node = await makeNode(home, nodeIdOf(1))
    const data = pseudoRandom(1000)
    const { chunkHash } = await import('../../src/volume/chunk-hash.js')
    await node.chunks.put(chunkHash(data), data)
    const gc = await collectGarbage({ chunks: node.chunks, stores: [node.snapshots] })
    expect(gc.deleted).toBe(0)
    expect(await node.chunks.has(chunkHash(data))).toBe(true)
  })
})
