import { afterEach, describe, expect, it } from 'vitest'
import b4a from 'b4a'
import DHT from 'hyperdht'
import type Protomux from 'protomux'
import type { ClusterEvent } from '../../src/control/types.js'
import type { NodeId } from '../../src/core/types.js'
import type { Mesh } from '../../src/mesh/mesh.js'
import { DataSessions, SWEEP_MS } from '../../src/node/data-sessions.js'
import type { ReplicationHub } from '../../src/node/replication-hub.js'

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

/** A node's data sessions over a mesh that is only what they look at: who is connected, and records. */
interface Side {
  id: NodeId
  sessions: DataSessions
  /** Peers the mesh has an open session with. */
  meshUp: Set<NodeId>
  records: Map<NodeId, { record: { name: string; addresses: string[]; dataPort: number } }>
  attached: NodeId[]
  events: ClusterEvent[]
}

async function side(): Promise<Side> {
  const keyPair = DHT.keyPair()
  const id = b4a.toString(keyPair.publicKey, 'hex')
  const meshUp = new Set<NodeId>()
  const records: Side['records'] = new Map()
  const attached: NodeId[] = []
  const events: ClusterEvent[] = []
  const mesh = { transport: { isConnected: (peer: NodeId) => meshUp.has(peer) }, gossip: { table: records } } as unknown as Mesh
  const hub = { attachData: (peer: NodeId) => attached.push(peer) } as unknown as ReplicationHub
  const sessions = new DataSessions({ keyPair, host: '127.0.0.1', port: 0, mesh, hub, events: (e) => events.push(e) })
  await sessions.listen()
  cleanups.push(() => sessions.close())
  return { id, sessions, meshUp, records, attached, events }
}

/** Each side knows the other's record, as gossip would have it. */
function introduce(a: Side, b: Side): void {
  a.records.set(b.id, { record: { name: 'b', addresses: ['127.0.0.1'], dataPort: b.sessions.port } })
  b.records.set(a.id, { record: { name: 'a', addresses: ['127.0.0.1'], dataPort: a.sessions.port } })
}

const closed = (mux: Protomux) => (mux.stream as { destroyed: boolean }).destroyed

async function until(what: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms
  while (!what()) {
    if (Date.now() > end) throw new Error('timed out')
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

describe('data sessions follow the mesh', () => {
  it('open only between peers with an open mesh session, and close soon after that session goes', async () => {
    const a = await side()
    const b = await side()
    introduce(a, b)

    // No mesh session: no data session either, not even a dial.
    expect(await a.sessions.dial(b.id)).toBeNull()

    a.meshUp.add(b.id)
    b.meshUp.add(a.id)
    const mux = await a.sessions.dial(b.id)
    expect(mux).not.toBeNull()
    await until(() => b.attached.includes(a.id))
    expect(a.sessions.links.peers()).toEqual([b.id])

    // The mesh session goes (a partition, a drill): the data session goes with it, on both ends,
    // within a few sweeps, though its TCP connection still works.
    const cut = Date.now()
    a.meshUp.delete(b.id)
    await until(() => closed(mux!) && a.sessions.links.peers().length === 0 && b.sessions.links.peers().length === 0)
    expect(Date.now() - cut).toBeLessThan(SWEEP_MS * 4 + 500)
    expect(await a.sessions.dial(b.id)).toBeNull()
  })

  it('a listener whose mesh does not know the dialler refuses it, and the dialler says replication goes over the mesh', async () => {
    const a = await side()
    const b = await side()
    introduce(a, b)
    a.meshUp.add(b.id) // a thinks it has a mesh session with b; b does not know a (yet)
    expect(await a.sessions.dial(b.id)).toBeNull()
    expect(b.attached).toEqual([])
    const said = a.events.map((e) => e.message)
    expect(said.some((m) => m.includes('replication to b goes over the mesh'))).toBe(true)
  })
})
