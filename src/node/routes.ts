import type { Duplex } from 'node:stream'
import { ShoalError } from '../core/errors.js'
import type { NodeId } from '../core/types.js'
import type { FrontLinks } from '../mesh/front-links.js'
import type { Mesh } from '../mesh/mesh.js'
import type { RouteResolver, Target } from '../proxy/route.js'
import { failedStream } from '../proxy/target-connect.js'

/** A direct path that failed is not tried again for this long (the tunnel is used meanwhile). */
export const DIRECT_RETRY_MS = 30_000

export interface RouteSources {
  self: NodeId
  mesh: Mesh
  /** The local port of an app this node runs and that passed its health check. */
  localPort(app: string): number | null
  /** A tunnel stream to `peer` for `name` ("http:<app>" or "tcp:<app>"), or null without a session. */
  tunnel(peer: NodeId, name: string): Duplex | null
  /** True when a mesh session with `peer` can carry a tunnel now. */
  hasTunnel(peer: NodeId): boolean
  /** Prefer tunnels over direct connections (e.g. nodes behind NAT). */
  preferTunnel: boolean
  /** Front links to other nodes' HTTP ports (mesh/front-links.ts). */
  links: FrontLinkSource
}

/** The part of FrontLinks the routes use. */
export type FrontLinkSource = Pick<FrontLinks, 'reach' | 'verified' | 'open'>

/**
 * The node's routing table, computed from gossip on every call: the local process when this
 * node is the master; else the master's own front at an address it advertises, once that
 * address is known to lead to it (HTTP over the front link to that node, which proves it: the
 * handshake names the node; a TCP app's connection directly to the app's port at an address
 * proven so); else, and while that is being found out, a tunnel over the mesh connection, which
 * always leads to the right node. The addresses are tried in the order the master gives them.
 * With neither (no session with the master yet, and no address proven), there is no target for
 * now: the front holds the request briefly for one (then 503), rather than guess.
 */
export class ClusterRoutes implements RouteResolver {
  private readonly unreachable = new Map<string, number>()

  constructor(
    private readonly src: RouteSources,
    private readonly kind: 'http' | 'tcp'
  ) {}

  /** The app a Host is for: one that names it exactly, else the one whose `*.` name covers it most closely. */
  resolve(host: string): { app: string } | null {
    let wildcard: string | null = null
    let closest = 0
    for (const spec of this.src.mesh.gossip.apps.specs.values()) {
      if (spec.deleted) continue
      for (const h of spec.httpHosts) {
        if (h === host) return { app: spec.name }
        if (h.length > closest && h.startsWith('*.') && host.endsWith(h.slice(1))) {
          wildcard = spec.name
          closest = h.length
        }
      }
    }
    return wildcard === null ? null : { app: wildcard }
  }

  async target(app: string): Promise<Target | null> {
    return this.currentTarget(app)
  }

  currentTarget(app: string): Target | null {
    const pl = this.src.mesh.gossip.apps.placements.get(app)
    const spec = this.src.mesh.gossip.apps.specs.get(app)
    if (pl === undefined || spec === undefined || spec.deleted || pl.master === '') return null
    const node = pl.master
    if (node === this.src.self) {
      const port = this.src.localPort(app)
      return port === null ? null : { kind: 'local', port }
    }
    const master = this.src.mesh.gossip.table.get(node)?.record
    const status = this.src.mesh.gossip.table.status(node)
    if (master === undefined || master === null || (status !== 'alive' && status !== 'suspect')) return null
    const name = `${this.kind}:${app}`
    const tunnel = (): Target | null => (this.src.hasTunnel(node) ? { kind: 'tunnel', key: `${node}/${name}`, open: () => this.src.tunnel(node, name) ?? failed(name) } : null)
    const httpPort = master.httpPort
    if (this.src.preferTunnel || httpPort <= 0) return tunnel()
    const links = this.src.links
    if (this.kind === 'tcp') {
      // A TCP app's connection is one long stream that moves bulk bytes faster on a connection of
      // its own than over a link (bench:proxy); the link only shows the address is that node's.
      const port = spec.tcpPort + master.portOffset
      for (const host of master.addresses) {
        if (links.verified(host, httpPort, node)) {
          if ((this.unreachable.get(`${host}:${port}`) ?? 0) < Date.now()) return { kind: 'direct', host, port }
          continue
        }
        if (links.reach(host, httpPort, node) !== 'refused') break
      }
      return tunnel()
    }
    for (const host of master.addresses) {
      const state = links.reach(host, httpPort, node)
      if (state === 'up') return { kind: 'tunnel', key: `link:${host}:${httpPort}/${name}`, open: () => links.open(host, httpPort, node, name) ?? this.src.tunnel(node, name) ?? failed(name) }
      // One address at a time: the next is tried once this one is refused.
      if (state === 'trying') break
    }
    return tunnel()
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
