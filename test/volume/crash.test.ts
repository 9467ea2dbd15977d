import { describe, expect, it } from 'vitest'
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chunkHash } from '../../src/volume/chunk-hash.js'
import { ChunkStore } from '../../src/volume/chunk-store.js'
import { checkout } from '../../src/volume/checkout.js'
import { ReplicationSender } from '../../src/volume/replication-sender.js'
import { SnapshotStore } from '../../src/volume/snapshot-store.js'
import { StreamLink } from './fixtures/stream-link.js'
import { expectSameTree, makeNode, nodeIdOf, pseudoRandom, tempDir } from './helpers.js'

/** Small packs, so that some are written out before the kill. */
const PACK_BYTES = 1024 * 1024
const CHILD = fileURLToPath(new URL('./fixtures/receive-child.ts', import.meta.url))

function startReplica(home: string): { child: ChildProcess; link: StreamLink } {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, home, nodeIdOf(2), String(PACK_BYTES)], { stdio: ['pipe', 'pipe', 'inherit'] })
  return { child, link: new StreamLink(child.stdout!, child.stdin!) }
}

function packsWritten(dir: string): number {
  return existsSync(dir) ? readdirSync(dir).filter((n) => n.endsWith('.pack')).length : 0
}

/**
 * Every chunk a fresh process finds in the store holds exactly the bytes its hash promises, and
 * no pack was found damaged. Returns how many there are.
 */
async function expectNoCorruptChunks(dir: string): Promise<number> {
  const store = new ChunkStore(dir)
  await store.open()
  expect(store.quarantined).toEqual([])
  let n = 0
  for await (const { hash } of store.list()) {
    expect(chunkHash(await store.get(hash))).toBe(hash)
    n++
  }
  return n
}

describe('crash safety', () => {
  it('kill -9 of the replica during a receive leaves a consistent store, and the sync then resumes', async () => {
    const base = await tempDir()
    const master = await makeNode(join(base, 'm'), nodeIdOf(1))
    for (let i = 0; i < 24; i++) await writeFile(join(master.root, `f${i}`), pseudoRandom(384 * 1024))
    const { snapnode, stats } = await master.snapshotter.snapshot({ epoch: 1 })
    const replicaHome = join(base, 'r')

    const first = startReplica(replicaHome)
    let killed = false
    const sender = new ReplicationSender({
      link: first.link,
      chunks: master.chunks,
      snapshots: master.snapshots,
      onProgress: (p) => {
        // Past half way, and once the replica has written out a pack (its fsync may lag behind
        // the sender on a busy machine): the kill then lands with chunks both stored and not.
        if (!killed && p.chunks >= stats.newChunks / 2 && packsWritten(join(replicaHome, 'chunks', 'packs')) > 0) {
          killed = true
          first.child.kill('SIGKILL')
        }
      }
    })
    await expect(sender.send(snapnode.id)).rejects.toMatchObject({ code: 'LINK_CLOSED' })
    expect(killed).toBe(true)
    await new Promise((resolve) => (first.child.exitCode !== null || first.child.signalCode !== null ? resolve(null) : first.child.once('exit', resolve)))

    // What survived: no torn chunk under its real name, no committed snapshot.
    const storedAfterCrash = await expectNoCorruptChunks(join(replicaHome, 'chunks'))
    expect(storedAfterCrash).toBeGreaterThan(0)
    const crashedChunks = new ChunkStore(join(replicaHome, 'chunks'))
    await crashedChunks.open()
    const snapshots = new SnapshotStore(join(replicaHome, 'volumes', 'app'), crashedChunks)
    await snapshots.open()
    expect(snapshots.list()).toEqual([])

    // A new replica process resumes without receiving the stored chunks again.
    const second = startReplica(replicaHome)
    const resumed = await new ReplicationSender({ link: second.link, chunks: master.chunks, snapshots: master.snapshots }).send(snapnode.id)
    // No chunk that survived the crash is sent again: survivors + resent = every chunk (plus the
    // manifest's pieces, which are kept in memory only and so are sent again).
    const pieces = (await master.snapshots.readPieces(snapnode.id)).length
    expect(resumed.chunksSent).toBe(stats.newChunks - storedAfterCrash + pieces)
    second.link.close()
    second.child.kill('SIGKILL')

    const chunks = new ChunkStore(join(replicaHome, 'chunks'))
    await chunks.open()
    const after = new SnapshotStore(join(replicaHome, 'volumes', 'app'), chunks)
    await after.open()
    expect(after.list().map((n) => n.id)).toEqual([snapnode.id])
    const target = join(base, 'restored')
    await checkout({ chunks, manifest: await after.readManifest(snapnode.id), target, mode: 'fresh' })
    await expectSameTree(master.root, target)
  })

  it('a commit cut short between its renames (snapnode without manifest) counts as never made', async () => {
    const base = await tempDir()
    const node = await makeNode(join(base, 'm'), nodeIdOf(1))
    await writeFile(join(node.root, 'a'), pseudoRandom(1000))
    const { snapnode } = await node.snapshotter.snapshot({ epoch: 1 })
    const { rm } = await import('node:fs/promises')
    await rm(join(node.snapshots.dir, 'manifests', snapnode.id))
    const reopened = new SnapshotStore(node.snapshots.dir, node.chunks)
    await reopened.open()
    expect(reopened.list()).toEqual([])
    expect(reopened.head()).toBeNull()
  })
})
