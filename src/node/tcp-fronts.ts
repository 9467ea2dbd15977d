import type { ClusterEvent } from '../control/types.js'
import type { Mesh } from '../mesh/mesh.js'
import type { RouteResolver, Target } from '../proxy/route.js'
import { isConnectFailure } from '../proxy/upstream-retry.js'
import { TcpFront } from '../proxy/tcp-front.js'
import type { AppTraffic } from '../proxy/traffic.js'

/** One TCP listener per app port (plus this node's offset), on every node, kept in step with the specs. */
export class TcpFronts {
  private readonly fronts = new Map<string, TcpFront>()

  constructor(
    private readonly o: {
      mesh: Mesh
      host: string
      portOffset: number
      resolver: Pick<RouteResolver, 'target'>
      traffic: AppTraffic
      events: (e: ClusterEvent) => void
      /** A connection to a master's address failed before it carried a byte. */
      directFailed: (host: string, port: number) => void
    }
  ) {}

  get(app: string): TcpFront | undefined {
    return this.fronts.get(app)
  }

  async sync(): Promise<void> {
    const wanted = new Map<string, number>()
    for (const spec of this.o.mesh.gossip.apps.specs.values()) if (!spec.deleted && spec.tcpPort > 0) wanted.set(spec.name, spec.tcpPort + this.o.portOffset)
    for (const [app, front] of this.fronts) {
      if (wanted.get(app) !== front.port) {
        this.fronts.delete(app)
        await front.close()
      }
    }
    for (const [app, port] of wanted) {
      if (this.fronts.has(app)) continue
      const front = new TcpFront({ app, port, host: this.o.host, resolver: this.o.resolver, traffic: this.o.traffic })
      front.on('upstream-error', (e: { target?: Target; error: unknown }) => {
        if (e.target?.kind === 'direct' && isConnectFailure(e.error)) this.o.directFailed(e.target.host, e.target.port)
      })
      this.fronts.set(app, front)
      await front.ready().catch((err: Error) => {
        this.fronts.delete(app)
        this.o.events({ at: Date.now(), kind: 'error', app, message: `cannot listen on TCP port ${port} for ${app}: ${err.message}` })
      })
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.fronts.values()].map((f) => f.close()))
    this.fronts.clear()
  }
}
