import net from 'node:net'
import { describe, expect, it, onTestFinished } from 'vitest'
import type { ClusterEvent } from '../../src/control/types.js'
import type { Mesh } from '../../src/mesh/mesh.js'
import { TcpFronts } from '../../src/node/tcp-fronts.js'
import { AppTraffic } from '../../src/proxy/traffic.js'

async function holdPort(): Promise<{ port: number; release: () => Promise<void> }> {
  const srv = net.createServer()
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r))
  const release = () => new Promise<void>((r) => (srv.listening ? srv.close(() => r()) : r()))
  onTestFinished(release)
  return { port: (srv.address() as net.AddressInfo).port, release }
}

describe('TcpFronts', () => {
  it('says once, and plainly, that an app’s port is this node’s own HTTP port; listens once it is free', async () => {
    const held = await holdPort()
    const offset = 10
    const mesh = { gossip: { apps: { specs: new Map([['echo', { name: 'echo', deleted: false, tcpPort: held.port - offset }]]) } } } as unknown as Mesh
    const events: ClusterEvent[] = []
    const troubles: Array<string | null> = []
    const fronts = new TcpFronts({
      mesh,
      host: '127.0.0.1',
      portOffset: offset,
      resolver: { target: async () => null },
      traffic: new AppTraffic(),
      events: (e) => events.push(e),
      directFailed: () => {},
      trouble: (_app, text) => troubles.push(text),
      ownPorts: () => ({ http: held.port, data: 0 })
    })
    onTestFinished(() => fronts.close())
    for (let i = 0; i < 3; i++) await fronts.sync()
    const why = `cannot listen on TCP port ${held.port} for echo: it is this node's own HTTP port (--port-offset 10 puts the app's port there): start this node with another --port-offset`
    expect(events.map((e) => e.message)).toEqual([why])
    expect(troubles).toEqual([why])
    await held.release()
    await fronts.sync()
    expect(troubles).toEqual([why, null])
    expect(fronts.get('echo')?.port).toBe(held.port)
  })
})
