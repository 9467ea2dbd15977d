import { describe, expect, it } from 'vitest'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { decodeReplication, encodeReplication, type ReplicationMessage } from '../../src/protocol/volume-messages.js'
import { chunkHash } from '../../src/volume/chunk-hash.js'
import { checkout } from '../../src/volume/checkout.js'
import { expectSameTree, pseudoRandom } from './helpers.js'
import { connect, twoNodes, type TestNode } from './replication-harness.js'

/** Counts the frames of each kind the sender put on the link, and the new bytes its patches carried. */
function frameKinds(): { seen: Record<string, number>; literal: { bytes: number }; onDeliver: (f: Uint8Array, from: 'a' | 'b') => boolean } {
  const seen: Record<string, number> = {}
  const literal = { bytes: 0 }
  return {
    seen,
    literal,
    onDeliver: (f, from) => {
      if (from === 'a') {
        const m = decodeReplication(f)
        seen[m.type] = (seen[m.type] ?? 0) + 1
        if (m.type === 'patch') for (const p of m.pieces) if ('literal' in p) literal.bytes += p.literal.byteLength
      }
      return true
    }
  }
}

async function syncedPair(files: Record<string, Buffer>): Promise<{ master: TestNode; replica: TestNode }> {
  const { master, replica } = await twoNodes()
  for (const [name, data] of Object.entries(files)) await writeFile(join(master.root, name), data)
  const first = await master.snapshotter.snapshot({ epoch: 1 })
  await connect(master, replica).sender.send(first.snapnode.id)
  return { master, replica }
}

async function expectReplicaHolds(master: TestNode, replica: TestNode, id: string): Promise<void> {
  const target = join(replica.home, `check-${id.slice(0, 8)}`)
  await checkout({ chunks: replica.chunks, manifest: await replica.snapshots.readManifest(id), target, mode: 'fresh' })
  await expectSameTree(master.root, target)
}

describe('changed chunks travel as patches', () => {
  it('an insert in the middle of a large file costs about the inserted bytes, not the chunks around it', async () => {
    const big = pseudoRandom(4 * 1024 * 1024)
    const { master, replica } = await syncedPair({ 'big.bin': big })
    const mid = 2 * 1024 * 1024 + 777
    await writeFile(join(master.root, 'big.bin'), Buffer.concat([big.subarray(0, mid), pseudoRandom(300), big.subarray(mid)]))
    const second = await master.snapshotter.snapshot({ epoch: 1 })
    expect(second.stats.newBytes).toBeGreaterThan(8 * 1024) // the chunk(s) around the insert

    const kinds = frameKinds()
    const inc = await connect(master, replica, { link: { onDeliver: kinds.onDeliver } }).sender.send(second.snapnode.id)
    expect(kinds.seen.patch).toBeGreaterThanOrEqual(1)
    expect(kinds.seen.chunk ?? 0).toBe(inc.chunksSent - kinds.seen.patch!) // only manifest pieces go whole
    // 300 bytes inserted: that is what the patches carry (a few fewer if the random insert happens
    // to start or end like the old bytes there); the whole exchange, the changed manifest piece
    // and frame headers included, stays small.
    expect(kinds.literal.bytes).toBeGreaterThan(290)
    expect(kinds.literal.bytes).toBeLessThanOrEqual(300)
    expect(inc.bytesSent).toBeLessThan(8 * 1024)
    await expectReplicaHolds(master, replica, second.snapnode.id)
  })

  it('an overwrite across chunk boundaries and an append are patched; a rewritten file is sent whole', async () => {
    const a = pseudoRandom(1024 * 1024)
    const b = pseudoRandom(512 * 1024)
    const c = pseudoRandom(64 * 1024)
    const { master, replica } = await syncedPair({ a, b, c })
    const a2 = Buffer.from(a)
    pseudoRandom(100_000).copy(a2, 300_000) // in place, spans several chunks
    await writeFile(join(master.root, 'a'), a2)
    await writeFile(join(master.root, 'b'), Buffer.concat([b, pseudoRandom(1000)]))
    const c2 = pseudoRandom(64 * 1024)
    await writeFile(join(master.root, 'c'), c2)
    const second = await master.snapshotter.snapshot({ epoch: 1 })

    const kinds = frameKinds()
    const inc = await connect(master, replica, { link: { onDeliver: kinds.onDeliver } }).sender.send(second.snapnode.id)
    expect(kinds.seen.patch).toBeGreaterThanOrEqual(3)
    // Changed: 100 000 + 1000 + 65 536 bytes. What travels is within a few percent of that.
    expect(inc.bytesSent).toBeLessThan((100_000 + 1000 + 65_536) * 1.05)
    expect(inc.bytesSent).toBeGreaterThan(100_000 + 1000 + 65_536)
    await expectReplicaHolds(master, replica, second.snapnode.id)
  })

  it('a link cut in the middle of the patches resumes on a new link, and the replica ends byte-identical', async () => {
    const files: Record<string, Buffer> = {}
    for (let i = 0; i < 6; i++) files[`f${i}`] = pseudoRandom(1024 * 1024)
    const { master, replica } = await syncedPair(files)
    for (let i = 0; i < 6; i++) {
      const f = files[`f${i}`]!
      await writeFile(join(master.root, `f${i}`), Buffer.concat([f.subarray(0, 300_000 + i), pseudoRandom(2000), f.subarray(300_000 + i)]))
    }
    const second = await master.snapshotter.snapshot({ epoch: 1 })
    let patches = 0
    const cut = connect(master, replica, { link: { onDeliver: (f, from) => !(from === 'a' && decodeReplication(f).type === 'patch' && ++patches > 2) } })
    await expect(cut.sender.send(second.snapnode.id)).rejects.toMatchObject({ code: 'LINK_CLOSED' })
    expect(replica.snapshots.has(second.snapnode.id)).toBe(false)

    const kinds = frameKinds()
    await connect(master, replica, { link: { onDeliver: kinds.onDeliver } }).sender.send(second.snapnode.id)
    expect(kinds.seen.patch).toBeGreaterThanOrEqual(1)
    await expectReplicaHolds(master, replica, second.snapnode.id)
  })

  it('a sender without patches (as before they existed) sends whole chunks, and the receiver names no bases to it', async () => {
    const big = pseudoRandom(2 * 1024 * 1024)
    const { master, replica } = await syncedPair({ 'big.bin': big })
    await writeFile(join(master.root, 'big.bin'), Buffer.concat([big.subarray(0, 1_000_000), pseudoRandom(100), big.subarray(1_000_000)]))
    const second = await master.snapshotter.snapshot({ epoch: 1 })
    const wants: ReplicationMessage[] = []
    const kinds = frameKinds()
    const link = {
      onDeliver: (f: Uint8Array, from: 'a' | 'b') => {
        if (from === 'b') wants.push(decodeReplication(f))
        return kinds.onDeliver(f, from)
      }
    }
    const inc = await connect(master, replica, { link, sender: { patches: false } }).sender.send(second.snapnode.id)
    expect(kinds.seen.patch ?? 0).toBe(0)
    expect(wants.some((m) => m.type === 'want' && m.runs !== undefined)).toBe(false)
    expect(inc.bytesSent).toBeGreaterThan(8 * 1024)
    await expectReplicaHolds(master, replica, second.snapnode.id)
  })

  it('a patch that does not rebuild its chunk, or names a base the replica lacks, is refused and nothing is committed', async () => {
    const big = pseudoRandom(2 * 1024 * 1024)
    for (const forge of ['wrong literal', 'unknown base'] as const) {
      const { master, replica } = await syncedPair({ 'big.bin': big })
      await writeFile(join(master.root, 'big.bin'), Buffer.concat([big.subarray(0, 1_000_000), pseudoRandom(100), big.subarray(1_000_000)]))
      const second = await master.snapshotter.snapshot({ epoch: 1 })
      const tamper = (f: Uint8Array, from: 'a' | 'b'): boolean | Uint8Array => {
        if (from !== 'a') return true
        const m = decodeReplication(f)
        if (m.type !== 'patch') return true
        const pieces = m.pieces.map((p) => {
          if (forge === 'wrong literal') return 'literal' in p ? { literal: Buffer.concat([Buffer.from(p.literal), Buffer.from('x')]) } : p
          return 'base' in p ? { ...p, base: chunkHash(Buffer.from('not held anywhere')) } : p
        })
        return encodeReplication({ ...m, pieces })
      }
      const { sender, errors } = connect(master, replica, { link: { onDeliver: tamper } })
      await expect(sender.send(second.snapnode.id)).rejects.toMatchObject({ code: 'BAD_CHUNK' })
      expect(errors.map((e) => e.code)).toContain('BAD_CHUNK')
      expect(replica.snapshots.has(second.snapnode.id)).toBe(false)

      // The link and both stores are fine: an honest retry commits.
      const again = connect(master, replica)
      await again.sender.send(second.snapnode.id)
      await expectReplicaHolds(master, replica, second.snapnode.id)
    }
  })
})
