import { afterEach, describe, expect, it } from 'vitest'
import { randomBytes } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import Hyperswarm, { type SwarmConnection } from 'hyperswarm'
import DHT from 'hyperdht'
import createTestnet from 'hyperdht/testnet.js'
import Protomux from 'protomux'
import { ProtomuxLink } from '../../src/mesh/protomux-link.js'
import { ReplicationReceiver } from '../../src/volume/replication-receiver.js'
import { ReplicationSender } from '../../src/volume/replication-sender.js'
import { checkout } from '../../src/volume/checkout.js'
import { buildTree, expectSameTree, makeNode, nodeIdOf, pseudoRandom, tempDir, waitFor } from '../volume/helpers.js'

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

async function connectedPair() {
  const testnet = await createTestnet(3, { host: '127.0.0.1' })
  cleanups.push(() => testnet.destroy())
  const a = new Hyperswarm({ dht: new DHT({ bootstrap: testnet.bootstrap, host: '127.0.0.1' }) })
  const b = new Hyperswarm({ dht: new DHT({ bootstrap: testnet.bootstrap, host: '127.0.0.1' }) })
  cleanups.push(async () => {
    await a.destroy()
    await b.destroy()
  })
  const topic = randomBytes(32)
  const ca = new Promise<SwarmConnection>((resolve) => a.once('connection', resolve))
  const cb = new Promise<SwarmConnection>((resolve) => b.once('connection', resolve))
  for (const s of [a, b]) s.on('connection', (c: SwarmConnection) => c.on('error', () => undefined))
  await a.join(topic, { server: true, client: false }).flushed()
  b.join(topic, { server: false, client: true })
  const [x, y] = await Promise.all([ca, cb])
  return { x, y, muxA: Protomux.from(x), muxB: Protomux.from(y) }
}

describe('ProtomuxLink', () => {
  it('replicates a snapshot over a real hyperswarm connection, and reports the connection closing', async () => {
    const { y, muxA, muxB } = await connectedPair()
    const base = await tempDir()
    const master = await makeNode(join(base, 'm'), nodeIdOf(1))
    const replica = await makeNode(join(base, 'r'), nodeIdOf(2))
    await buildTree(master.root)
    await writeFile(join(master.root, 'more.bin'), pseudoRandom(3 * 1024 * 1024))
    const { snapnode } = await master.snapshotter.snapshot({ epoch: 1 })

    const linkA = new ProtomuxLink(muxA, Buffer.from('app-1'))
    const linkB = new ProtomuxLink(muxB, Buffer.from('app-1'))
    // A second app on the same connection is an independent channel.
    expect(() => new ProtomuxLink(muxA, Buffer.from('app-1'))).toThrow()
    const other = new ProtomuxLink(muxA, Buffer.from('app-2'))
    await Promise.all([linkA.opened, linkB.opened])

    const sender = new ReplicationSender({ link: linkA, chunks: master.chunks, snapshots: master.snapshots })
    const errors: string[] = []
    new ReplicationReceiver({ link: linkB, chunks: replica.chunks, snapshots: replica.snapshots, self: replica.id, onError: (e) => errors.push(e.code) })
    const result = await sender.send(snapnode.id)
    expect(result.holder).toBe(replica.id)
    const target = join(base, 'checkout')
    await checkout({ chunks: replica.chunks, manifest: await replica.snapshots.readManifest(snapnode.id), target, mode: 'fresh' })
    await expectSameTree(master.root, target)

    let closed = 0
    other.setHandler({ onFrame() {}, onDrain() {}, onClose: () => closed++ })
    y.destroy()
    await waitFor(() => closed === 1)
    await expect(sender.send(snapnode.id)).rejects.toMatchObject({ code: 'LINK_CLOSED' })
    expect(errors).toEqual([])
  })

  it('delivers a frame sent in parts as one frame, and the parts may be reused once send returns', async () => {
    const { muxA, muxB } = await connectedPair()
    const a = new ProtomuxLink(muxA, Buffer.from('parts'))
    const b = new ProtomuxLink(muxB, Buffer.from('parts'))
    await Promise.all([a.opened, b.opened])
    const got: Buffer[] = []
    b.setHandler({ onFrame: (f) => got.push(Buffer.from(f)), onDrain() {}, onClose() {} })
    const head = Buffer.from('head:')
    const body = Buffer.alloc(100_000, 7)
    a.send([head, body])
    body.fill(9) // reused at once: what was sent must not change
    a.send(Buffer.from('whole'))
    a.send([])
    await waitFor(() => got.length === 3)
    expect(got[0]!.equals(Buffer.concat([Buffer.from('head:'), Buffer.alloc(100_000, 7)]))).toBe(true)
    expect(got[1]!.toString()).toBe('whole')
    expect(got[2]!.byteLength).toBe(0)
  })
})
