import type { Duplex } from 'node:stream'
import { ShoalError } from '../core/errors.js'
import type { NodeId } from '../core/types.js'
import type { Mesh } from '../mesh/mesh.js'
import type { RouteResolver, Target } from '../proxy/route.js'
import { connectTarget, failedStream } from '../proxy/target-connect.js'

/** A direct path that failed is not tried again for this long (the tunnel is used meanwhile). */
export const DIRECT_RETRY_MS = 30_000

export interface RouteSources {
  self: NodeId
  mesh: Mesh
  /** The local port of an app this node runs and that passed its health check. */
  localPort(app: string): number | null
  /** A tunnel stream to `peer` for `name` ("http:<app>" or "tcp:<app>"), or null without a session. */
  tunnel(peer: NodeId, name: string): Duplex | null
  /** Prefer tunnels over direct connections (e.g. nodes behind NAT). */
  preferTunnel: boolean
  /** Front links to other nodes' HTTP ports (mesh/front-links.ts); without them, one direct
   * connection per client connection. */
  links?: FrontLinkSource
}

/** The part of FrontLinks the routes use. */
export interface FrontLinkSource {
  /** True when a link to host:port is up; otherwise starts one and returns false. */
  up(host: string, port: number): boolean
  /** A stream to `name` over the link to host:port, or null when it went down meanwhile. */
  open(host: string, port: number, name: string): Duplex | null
}

/**
 * The node's routing table, computed from gossip on every call: the local process when this
 * node is the master, else the master node's own front at its advertised address (HTTP over the
 * front link to that node once it is up, one direct connection per client connection until then
 * and for TCP apps), else a tunnel over the mesh connection. `kind` picks the far front: HTTP or
 * the app's TCP port.
 */
export class ClusterRoutes implements RouteResolver {
  private readonly unreachable = new Map<string, number>()

  constructor(
    private readonly src: RouteSources,
    private readonly kind: 'http' | 'tcp'
  ) {}

  resolve(host: string): { app: string } | null {
    for (const spec of this.src.mesh.gossip.apps.specs.values()) {
      if (!spec.deleted && spec.httpHosts.includes(host)) return { app: spec.name }
    }
    return null
  }

  async target(app: string): Promise<Target | null> {
    return this.currentTarget(app)
  }

  currentTarget(app: string): Target | null {
    const pl = this.src.mesh.gossip.apps.placements.get(app)
    const spec = this.src.mesh.gossip.apps.specs.get(app)
    if (pl === undefined || spec === undefined || spec.deleted || pl.master === '') return null
    if (pl.master === this.src.self) {
      const port = this.src.localPort(app)
      return port === null ? null : { kind: 'local', port }
    }
    const master = this.src.mesh.gossip.table.get(pl.master)?.record
    const status = this.src.mesh.gossip.table.status(pl.master)
    if (master === undefined || master === null || (status !== 'alive' && status !== 'suspect')) return null
    const port = this.kind === 'http' ? master.httpPort : spec.tcpPort + master.portOffset
    const host = master.addresses[0]
    const key = `${host}:${port}`
    if (!this.src.preferTunnel && host !== undefined && port > 0 && (this.unreachable.get(key) ?? 0) < Date.now()) {
      const links = this.src.links
      const linkPort = master.httpPort
      // HTTP only: a link saves a system call per request, where a TCP app's connection is one
      // long stream that moves bulk bytes faster on its own connection (bench:proxy).
      if (this.kind === 'http' && links !== undefined && linkPort > 0 && links.up(host, linkPort)) {
        const name = `${this.kind}:${app}`
        return {
          kind: 'tunnel',
          key: `link:${host}:${linkPort}/${name}`,
          open: () => links.open(host, linkPort, name) ?? connectTarget({ kind: 'direct', host, port })
        }
      }
      return { kind: 'direct', host, port }
    }
    const name = `${this.kind}:${app}`
    return { kind: 'tunnel', key: `${pl.master}/${name}`, open: () => this.src.tunnel(pl.master, name) ?? failed(name) }
  }

  /** Reports that a direct path did not answer, so the tunnel is used for a while. */
  directFailed(host: string, port: number): void {
    this.unreachable.set(`${host}:${port}`, Date.now() + DIRECT_RETRY_MS)
  }
}

/** A stream that fails at once: the fronts turn its error into 502/503 like any other. */
function failed(name: string): Duplex {
  return failedStream(new ShoalError('NO_MASTER', `no mesh session to the master of ${name}`))
}
