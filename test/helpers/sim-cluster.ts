import { randomBytes } from 'node:crypto'
import { VirtualClock } from '../../src/core/virtual-clock.js'
import { emptyLoad, type NodeRecord } from '../../src/core/types.js'
import { MemoryNetwork, type MemoryNetworkOptions } from '../../src/mesh/memory-transport.js'
import { Mesh, type MeshOptions } from '../../src/mesh/mesh.js'

export function record(id: string, name: string): NodeRecord {
  return {
    id,
    incarnation: 1,
    seq: 0,
    name,
    zone: 'z',
    addresses: ['127.0.0.1'],
    httpPort: 0,
    portOffset: 0,
    capacity: 1,
    load: emptyLoad(),
    version: 'test',
    startedAt: 0,
    heads: {}
  }
}

/** N meshes on an in-memory network driven by a virtual clock. */
export function simCluster(n: number, opts: { net?: MemoryNetworkOptions; mesh?: MeshOptions; full?: boolean; degree?: number } = {}) {
  const clock = new VirtualClock()
  const net = new MemoryNetwork({ clock, latencyMs: 1, ...opts.net })
  const meshes: Mesh[] = []
  for (let i = 0; i < n; i++) {
    const id = randomBytes(32).toString('hex')
    const mesh = new Mesh(net.transport(id), clock, record(id, `n${i}`), opts.mesh)
    mesh.start()
    meshes.push(mesh)
  }
  if (opts.full !== false) {
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) net.connect(meshes[i]!.id, meshes[j]!.id)
  } else {
    const degree = opts.degree ?? 6
    // A ring (so the graph is connected) plus random chords, like hyperswarm's bounded peers.
    for (let i = 0; i < n; i++) {
      net.connect(meshes[i]!.id, meshes[(i + 1) % n]!.id)
      for (let k = 0; k < degree - 2; k++) net.connect(meshes[i]!.id, meshes[Math.floor(Math.random() * n)]!.id)
    }
  }
  const statusOf = (viewer: Mesh, target: Mesh) => viewer.member(target.id)?.status ?? null
  return { clock, net, meshes, statusOf, stop: () => meshes.forEach((m) => m.stop()) }
}
