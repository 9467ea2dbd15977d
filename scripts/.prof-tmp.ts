import { randomFillSync, randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, writeFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Hyperswarm, { type SwarmConnection } from 'hyperswarm'
import DHT from 'hyperdht'
import createTestnet from 'hyperdht/testnet.js'
import Protomux from 'protomux'
import { ProtomuxLink } from '../src/mesh/protomux-link.js'
import { ChunkStore } from '../src/volume/chunk-store.js'
import { SnapshotStore } from '../src/volume/snapshot-store.js'
import { Snapshotter } from '../src/volume/snapshotter.js'
import { createMemoryLinkPair } from '../src/volume/memory-link.js'
import { ReplicationReceiver } from '../src/volume/replication-receiver.js'
import { ReplicationSender } from '../src/volume/replication-sender.js'
const base = await mkdtemp(join(tmpdir(), 'prof-'))
const src = join(base, 'src')
for (let i = 0; i < 40; i++) { await mkdir(join(src, `d${i % 4}`), { recursive: true }); await writeFile(join(src, `d${i % 4}`, `f${i}`), randomFillSync(Buffer.alloc(1_000_000))) }
const mC = new ChunkStore(join(base, 'mc')); const mS = new SnapshotStore(join(base, 'ms'))
for (const s of [mC, mS]) await s.open()
const snap = new Snapshotter({ root: src, chunks: mC, snapshots: mS, origin: randomBytes(32).toString('hex') })
const first = await snap.snapshot({ epoch: 1 })
async function recv(name: string) { const rC = new ChunkStore(join(base, name + 'c')); const rS = new SnapshotStore(join(base, name + 's')); await rC.open(); await rS.open(); return { rC, rS } }
{
  const { rC, rS } = await recv('mem')
  const pair = createMemoryLinkPair()
  const sender = new ReplicationSender({ link: pair.a, chunks: mC, snapshots: mS })
  new ReplicationReceiver({ link: pair.b, chunks: rC, snapshots: rS, self: randomBytes(32).toString('hex') })
  const t = performance.now(); await sender.send(first.snapnode.id); console.log('memory link send', (performance.now() - t).toFixed(0))
}
const testnet = await createTestnet(3, { host: '127.0.0.1' })
const a = new Hyperswarm({ dht: new DHT({ bootstrap: testnet.bootstrap, host: '127.0.0.1' }) })
const b = new Hyperswarm({ dht: new DHT({ bootstrap: testnet.bootstrap, host: '127.0.0.1' }) })
const topic = randomBytes(32)
const ca = new Promise<SwarmConnection>((r) => a.once('connection', r)); const cb = new Promise<SwarmConnection>((r) => b.once('connection', r))
await a.join(topic, { server: true, client: false }).flushed(); b.join(topic, { client: true, server: false })
const [x, y] = await Promise.all([ca, cb])
const la = new ProtomuxLink(Protomux.from(x), Buffer.from('p')); const lb = new ProtomuxLink(Protomux.from(y), Buffer.from('p'))
await Promise.all([la.opened, lb.opened])
{
  const { rC, rS } = await recv('swarm')
  const sender = new ReplicationSender({ link: la, chunks: mC, snapshots: mS })
  new ReplicationReceiver({ link: lb, chunks: rC, snapshots: rS, self: randomBytes(32).toString('hex') })
  const t = performance.now(); await sender.send(first.snapnode.id); console.log('swarm link send', (performance.now() - t).toFixed(0))
}
{ // raw throughput of the link
  let got = 0; const N = 1000; const frame = randomBytes(32 * 1024)
  const done = new Promise<void>((r) => lb.setHandler({ onFrame(f) { got++; if (got === N) r() }, onDrain() {}, onClose() {} }))
  la.setHandler({ onFrame() {}, onDrain() {}, onClose() {} })
  const t = performance.now(); for (let i = 0; i < N; i++) la.send(frame); await done; console.log('raw 32MB over swarm', (performance.now() - t).toFixed(0))
}
await a.destroy(); await b.destroy(); await testnet.destroy()
await rm(base, { recursive: true })
