import type { ClusterEvent } from '../control/types.js'
import type { Mesh } from '../mesh/mesh.js'
import type { RouteResolver, Target } from '../proxy/route.js'
import { isConnectFailure } from '../proxy/upstream-retry.js'
import { TcpFront } from '../proxy/tcp-front.js'
import type { AppTraffic } from '../proxy/traffic.js'

/** One TCP listener per app port (plus this node's offset), on every node, kept in step with the specs. */
export class TcpFronts {
  private readonly fronts = new Map<string, TcpFront>()
  /** Apps whose port could not be listened on, with the reason last reported (reported once). */
  private readonly failing = new Map<string, string>()

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
      /** Why an app's TCP port cannot be listened on here; null once it can (or is not wanted). */
      trouble: (app: string, text: string | null) => void
      /** This node's own HTTP and data ports, to name them when an app's port falls on one. */
      ownPorts: () => { http: number; data: number }
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
    for (const app of this.failing.keys()) {
      if (!wanted.has(app)) this.clearFailure(app)
    }
    for (const [app, port] of wanted) {
      if (this.fronts.has(app)) continue
      const front = new TcpFront({ app, port, host: this.o.host, resolver: this.o.resolver, traffic: this.o.traffic })
      front.on('upstream-error', (e: { target?: Target; error: unknown }) => {
        if (e.target?.kind === 'direct' && isConnectFailure(e.error)) this.o.directFailed(e.target.host, e.target.port)
      })
      this.fronts.set(app, front)
      const ok = await front.ready().then(
        () => true,
        (err: NodeJS.ErrnoException) => {
          this.fronts.delete(app)
          // Tried again on every sync; said once, and again only if the reason changes.
          const why = `cannot listen on TCP port ${port} for ${app}: ${this.portHolder(port, err)}`
          if (this.failing.get(app) !== why) {
            this.failing.set(app, why)
            this.o.trouble(app, why)
            this.o.events({ at: Date.now(), kind: 'error', app, message: why })
          }
          return false
        }
      )
      if (ok) this.clearFailure(app)
    }
  }

  /** Who holds `port`, as far as this node can tell. */
  private portHolder(port: number, err: NodeJS.ErrnoException): string {
    if (err.code !== 'EADDRINUSE') return err.message
    const own = this.o.ownPorts()
    const mine = port === own.http ? 'HTTP' : port === own.data ? 'data' : null
    if (mine !== null) return `it is this node's own ${mine} port (--port-offset ${this.o.portOffset} puts the app's port there): start this node with another --port-offset`
    return 'another program has it'
  }

  private clearFailure(app: string): void {
    if (!this.failing.delete(app)) return
    this.o.trouble(app, null)
  }

  async close(): Promise<void> {
    await Promise.all([...this.fronts.values()].map((f) => f.close()))
    this.fronts.clear()
  }
}
