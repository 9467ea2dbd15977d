import { describe, expect, it } from 'vitest'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { ShoalError } from '../../src/core/errors.js'
import { decodeReplication, encodeReplication, type ReplicationMessage } from '../../src/protocol/volume-messages.js'
import { checkout } from '../../src/volume/checkout.js'
import { chunkHash } from '../../src/volume/chunk-hash.js'
import type { ChunkStore } from '../../src/volume/chunk-store.js'
import type { Link, LinkHandler } from '../../src/volume/link.js'
import { ReplicationSender } from '../../src/volume/replication-sender.js'
import { expectSameTree, pseudoRandom } from './helpers.js'
import { connect, twoNodes, type TestNode } from './replication-harness.js'

/** What crossed the link from the master: chunk and patch frames, and the hashes wanted back. */
function tap() {
  const seen = { chunks: [] as string[], patches: [] as string[], wanted: [] as string[], offers: 0 }
  const onDeliver = (f: Uint8Array, from: 'a' | 'b') => {
    const m = decodeReplication(f)
    if (m.type === 'chunk') seen.chunks.push(m.hash)
    if (m.type === 'patch') seen.patches.push(m.hash)
    if (m.type === 'offer') seen.offers++
    if (m.type === 'want' && from === 'b') seen.wanted.push(...m.hashes)
  }
  return { seen, onDeliver }
}

async function volume(master: TestNode): Promise<Buffer> {
  const big = pseudoRandom(3 * 1024 * 1024)
  await writeFile(join(master.root, 'big.bin'), big)
  for (let i = 0; i < 20; i++) await writeFile(join(master.root, `small-${i}`), pseudoRandom(2000 + i))
  return big
}

/** An insert in the middle of big.bin and a rewritten small file. */
async function change(master: TestNode, big: Buffer): Promise<void> {
  const mid = big.length >> 1
  await writeFile(join(master.root, 'big.bin'), Buffer.concat([big.subarray(0, mid), Buffer.from('inserted bytes '.repeat(50)), big.subarray(mid)]))
  await writeFile(join(master.root, 'small-3'), pseudoRandom(5000))
}

describe('chunks pushed ahead of an offer', () => {
  it('reach the replica while the snapshot is taken: the offer then asks for no chunk, and none travels twice', async () => {
    const { master, replica } = await twoNodes()
    const big = await volume(master)
    const { seen, onDeliver } = tap()
    const { sender, errors } = connect(master, replica, { link: { onDeliver } })
    master.snapshotter.watchReads((f) => sender.pushAhead(f))
    await sender.send((await master.snapshotter.snapshot({ epoch: 1 })).snapnode.id)
    await change(master, big)
    seen.chunks.length = 0
    seen.wanted.length = 0
    const second = await master.snapshotter.snapshot({ epoch: 1 })
    const newChunks = second.stats.newChunks
    expect(newChunks).toBeGreaterThan(1)
    const sent = await sender.send(second.snapnode.id)
    // Everything new, manifest pieces included, went before the offer was read: nothing was asked for.
    const pieces = new Set((await master.snapshots.readPieces(second.snapnode.id)).map((p) => p.hash))
    expect(seen.wanted).toEqual([])
    const pushed = [...seen.chunks.filter((h) => !pieces.has(h)), ...seen.patches]
    expect(new Set(pushed).size).toBe(pushed.length)
    expect(pushed.length).toBe(newChunks)
    const firstPieces = new Set((await master.snapshots.readPieces(second.snapnode.parent!)).map((p) => p.hash))
    const newPieces = [...pieces].filter((h) => !firstPieces.has(h)).length
    expect(sent.chunksSent).toBe(newChunks + newPieces)
    // The insert went as a patch on the old chunks: far fewer bytes than the new chunks hold.
    expect(seen.patches.length).toBeGreaterThan(0)
    expect(sent.bytesSent).toBeLessThan(second.stats.newBytes)
    expect(errors).toEqual([])
    const target = join(replica.home, 'out')
    await checkout({ chunks: replica.chunks, manifest: await replica.snapshots.readManifest(second.snapnode.id), target, mode: 'fresh' })
    await expectSameTree(master.root, target)
  })

  it('a large file read a buffer at a time has its first changes pushed before it is read to the end', async () => {
    const { master, replica } = await twoNodes()
    const big = pseudoRandom(12 * 1024 * 1024) // three read buffers
    await writeFile(join(master.root, 'big.bin'), big)
    let delivered = 0
    const { sender, errors } = connect(master, replica, {
      link: { onDeliver: (f, from) => void (from === 'a' && ['chunk', 'patch'].includes(decodeReplication(f).type) && delivered++) }
    })
    let partial = 0
    let deliveredAtSettle = -1
    master.snapshotter.watchReads((f) => {
      if (!f.settled) partial++
      else if (f.path === 'big.bin') deliveredAtSettle = delivered
      sender.pushAhead(f)
    })
    await sender.send((await master.snapshotter.snapshot({ epoch: 1 })).snapnode.id)
    // Inserts near the start and near the end.
    const a = 1024 * 1024
    const b = 11 * 1024 * 1024
    await writeFile(join(master.root, 'big.bin'), Buffer.concat([big.subarray(0, a), Buffer.from('first insert'), big.subarray(a, b), Buffer.from('second insert'), big.subarray(b)]))
    partial = 0
    delivered = 0
    const second = await master.snapshotter.snapshot({ epoch: 1 })
    expect(partial).toBeGreaterThan(0)
    expect(deliveredAtSettle).toBeGreaterThan(0)
    const sent = await sender.send(second.snapnode.id)
    expect(sent.bytesSent).toBeLessThan(second.stats.newBytes / 4) // patches, not whole chunks
    expect(errors).toEqual([])
    const target = join(replica.home, 'out')
    await checkout({ chunks: replica.chunks, manifest: await replica.snapshots.readManifest(second.snapnode.id), target, mode: 'fresh' })
    await expectSameTree(master.root, target)
  })

  it('a huge file told about piece by piece costs work in proportion to it, not to its square', async () => {
    // 200 000 chunks told in 400 steps, with a change every 500 chunks (the old version known).
    const hash = (i: number) => i.toString(16).padStart(64, '0')
    const n = 200_000
    const previous = Array.from({ length: n }, (_, i) => hash(i))
    const chunks = previous.map((h, i) => (i % 500 === 250 ? hash(n + i) : h))
    const newChunks = chunks.filter((_, i) => i % 500 === 250)
    const store = { size: () => 1000, readManyInto: () => { throw new Error('not read in this test') }, has: () => true } as unknown as ChunkStore
    let handler: LinkHandler | null = null
    const link: Link = { send: () => true, setHandler: (h) => void (handler = h), close: () => undefined }
    const { master } = await twoNodes()
    await writeFile(join(master.root, 'x'), 'x')
    const base = (await master.snapshotter.snapshot({ epoch: 1 })).snapnode.id
    const sender = new ReplicationSender({ link, chunks: store, snapshots: master.snapshots })
    // As if the receiver had taken `base` and asked for pushes.
    const acked = sender.send(base)
    await new Promise((resolve) => setTimeout(resolve, 10))
    handler!.onFrame(encodeReplication({ type: 'ack', id: base, holder: 'b'.repeat(64), push: true }))
    await acked
    // As the file reader does: the same two lists, growing, told after each buffer.
    const told: string[] = []
    const toldNew: string[] = []
    const started = performance.now()
    const step = n / 400
    for (let end = step; end <= n; end += step) {
      for (let i = told.length; i < end; i++) {
        told.push(chunks[i]!)
        if (i % 500 === 250) toldNew.push(chunks[i]!)
      }
      sender.pushAhead({ parent: base, path: 'huge.img', chunks: told, newChunks: toldNew, previous, settled: end === n })
    }
    const ms = performance.now() - started
    const queued = (sender as unknown as { pushing: { queued: Set<string>; runs: Map<string, unknown> } }).pushing
    expect(queued.queued.size).toBe(newChunks.length)
    expect(queued.runs.size).toBe(newChunks.length) // each one a patch on the chunk it replaced
    expect(ms).toBeLessThan(5000)
  })

  it('go only to a receiver that asked for them and holds the parent, and never under a bandwidth limit', async () => {
    for (const opts of [{ receiver: { pushAhead: false } }, { sender: { bandwidthLimit: 1e9 } }]) {
      const { master, replica } = await twoNodes()
      const big = await volume(master)
      const { seen, onDeliver } = tap()
      const { sender } = connect(master, replica, { link: { onDeliver }, ...opts })
      master.snapshotter.watchReads((f) => sender.pushAhead(f))
      await sender.send((await master.snapshotter.snapshot({ epoch: 1 })).snapnode.id)
      await change(master, big)
      const offersBefore = seen.offers
      const chunksBefore = seen.chunks.length + seen.patches.length
      const second = await master.snapshotter.snapshot({ epoch: 1 })
      await new Promise((resolve) => setTimeout(resolve, 20))
      expect(seen.chunks.length + seen.patches.length).toBe(chunksBefore)
      await sender.send(second.snapnode.id)
      expect(seen.offers).toBe(offersBefore + 1)
      expect(seen.wanted.length).toBeGreaterThan(0)
    }
    // A snapshot whose parent the receiver has not acknowledged: nothing is pushed.
    const { master, replica } = await twoNodes()
    await volume(master)
    const { seen, onDeliver } = tap()
    const { sender } = connect(master, replica, { link: { onDeliver } })
    master.snapshotter.watchReads((f) => sender.pushAhead(f))
    await master.snapshotter.snapshot({ epoch: 1 })
    await writeFile(join(master.root, 'small-1'), pseudoRandom(7000))
    await master.snapshotter.snapshot({ epoch: 1 })
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(seen.chunks).toEqual([])
  })

  it('a receiver drops a pushed chunk that does not match its hash, reports it, and the next offer still commits', async () => {
    const { master, replica } = await twoNodes()
    const big = await volume(master)
    let lie = false
    const errors: ShoalError[] = []
    const { sender } = connect(master, replica, {
      receiver: { onError: (e) => errors.push(e) },
      link: {
        onDeliver: (f, from) => {
          const m = decodeReplication(f)
          if (from !== 'a' || m.type !== 'chunk' || !lie) return
          lie = false
          const bad: ReplicationMessage = { type: 'chunk', hash: m.hash, data: Buffer.from('not what the hash says') }
          return encodeReplication(bad)
        }
      }
    })
    await sender.send((await master.snapshotter.snapshot({ epoch: 1 })).snapnode.id)
    lie = true
    master.snapshotter.watchReads((f) => sender.pushAhead(f))
    await change(master, big)
    const second = await master.snapshotter.snapshot({ epoch: 1 })
    await sender.send(second.snapnode.id)
    expect(errors.map((e) => e.code)).toEqual(['BAD_CHUNK'])
    expect(replica.snapshots.has(second.snapnode.id)).toBe(true)
    const target = join(replica.home, 'out')
    await checkout({ chunks: replica.chunks, manifest: await replica.snapshots.readManifest(second.snapnode.id), target, mode: 'fresh' })
    await expectSameTree(master.root, target)
  })

  it('a send still goes through when the parent was pruned on the master meanwhile, or the link stops taking pushes', async () => {
    const { master, replica } = await twoNodes()
    const big = await volume(master)
    const { sender } = connect(master, replica)
    master.snapshotter.watchReads((f) => sender.pushAhead(f))
    const first = await master.snapshotter.snapshot({ epoch: 1 })
    await sender.send(first.snapnode.id)
    await change(master, big)
    const second = await master.snapshotter.snapshot({ epoch: 1 })
    await master.snapshots.delete(first.snapnode.id)
    await sender.send(second.snapnode.id)
    expect(replica.snapshots.has(second.snapnode.id)).toBe(true)

    // A link that stops taking frames (full, never drained, never closed) while chunks are
    // pushed: the pushes are given up after the stall timeout and the send fails as stalled,
    // instead of waiting for ever.
    const other = await twoNodes()
    const big2 = await volume(other.master)
    let handler: LinkHandler | null = null
    const link: Link = { send: () => false, setHandler: (h) => void (handler = h), close: () => undefined }
    const stalled = new ReplicationSender({ link, chunks: other.master.chunks, snapshots: other.master.snapshots, stallTimeoutMs: 200, sendSlackBytes: 1 })
    other.master.snapshotter.watchReads((f) => stalled.pushAhead(f))
    const base = await other.master.snapshotter.snapshot({ epoch: 1 })
    const acked = stalled.send(base.snapnode.id)
    await new Promise((resolve) => setTimeout(resolve, 10))
    // As if the receiver had taken the first snapshot and asked for pushes.
    handler!.onFrame(encodeReplication({ type: 'ack', id: base.snapnode.id, holder: other.replica.id, push: true }))
    await acked
    await change(other.master, big2)
    const next = await other.master.snapshotter.snapshot({ epoch: 1 })
    const started = Date.now()
    await expect(stalled.send(next.snapnode.id)).rejects.toMatchObject({ code: 'STREAM_STALLED' })
    expect(Date.now() - started).toBeLessThan(5000)
  })

  it('a receiver keeps at most PUSH_AHEAD_BYTES of chunks nobody asked for between offers', async () => {
    const { master, replica } = await twoNodes()
    const { pair } = connect(master, replica)
    const { PUSH_AHEAD_BYTES } = await import('../../src/protocol/volume-messages.js')
    const data = pseudoRandom(4 * 1024 * 1024)
    const before = replica.chunks.count
    let sent = 0
    for (let i = 0; sent <= PUSH_AHEAD_BYTES + data.length; i++) {
      data.writeUInt32LE(i, 0)
      pair.a.send(encodeReplication({ type: 'chunk', hash: chunkHash(data), data }))
      sent += data.length
      await new Promise((resolve) => setImmediate(resolve))
    }
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect((replica.chunks.count - before) * data.length).toBe(PUSH_AHEAD_BYTES)
    // The kept chunks are still being written to a pack: the test's folder goes after that.
    await replica.chunks.flush()
  })
})
