import { debuglog } from 'node:util'
import { join } from 'node:path'
import { readdir } from 'node:fs/promises'
import type { Duplex } from 'node:stream'
import type Protomux from 'protomux'
import { ShoalError } from '../core/errors.js'
import { placementCandidates, type PlacementCandidate } from '../core/placement.js'
import { snapshotRefusal } from '../core/snapshot-acceptance.js'
import type { NodeId } from '../core/types.js'
import type { ClusterEvent } from '../control/types.js'
import type { Mesh } from '../mesh/mesh.js'
import type { TunnelStream } from '../mesh/tunnel-stream.js'
import { HttpFront } from '../proxy/http-front.js'
import { AppTraffic } from '../proxy/traffic.js'
import { ChunkStore } from '../volume/chunk-store.js'
import { AppHost } from './app-host.js'
import type { AppVolume } from './app-volume.js'
import { ReplicationHub } from './replication-hub.js'
import { DataSessions } from './data-sessions.js'
import { portError } from './port-error.js'
import type { KeyPair } from 'hyperdht'
import type { PeerRpc, RpcHandler } from '../mesh/peer-rpc.js'
import type { OperationEvent } from '../control/types.js'
import { moveApp, type MoveResult } from './migration.js'
import { checkMove } from './move-check.js'
import { FrontLinks } from '../mesh/front-links.js'
import { AppTroubles } from './app-troubles.js'
import { AppVolumes } from './app-volumes.js'
import { pushSeeds } from './seed-push.js'
import type { LogLine } from '../runtime/log-ring.js'
import { appLogs, type LogRequest } from './app-logs.js'
import { appRpcHandlers } from './app-rpc.js'
import { PinKeeper } from './pin-keeper.js'
import { ClusterRoutes } from './routes.js'
import { TcpFronts } from './tcp-fronts.js'
import { pruneVolumes } from './volume-retention.js'
import { MOVE_RPC_WAIT_MS, PeerSessions } from './peer-sessions.js'

const debug = debuglog('shoal')

/** Changes are gathered for this long before the apps reconcile (a burst of gossip → one pass). */
export const RECONCILE_DELAY_MS = 20
/** Old snapshots are pruned (retention policy) and unreferenced chunks collected this often. */
export const PRUNE_INTERVAL_MS = 60_000
/** Every app also reconciles this often, whatever happened. */
export const RECONCILE_EVERY_MS = 1000

export interface LocalAppsOptions {
  home: string
  self: NodeId
  selfName: string
  mesh: Mesh
  /** Address the fronts listen on. */
  host: string
  httpPort: number
  /** Port for direct data sessions (0: the OS chooses; null: none, replication uses the mesh). */
  dataPort?: number | null
  /** The node's identity, for direct data sessions. */
  keyPair?: KeyPair
  /** Bytes per second each replication transfer from this node may send (unlimited if absent). */
  replicationLimit?: number
  portOffset: number
  events: (e: ClusterEvent) => void
  defaultPolicy?: 'available' | 'majority'
  preferTunnel?: boolean
  snapshotIntervalMs?: number
  standby?: boolean
  standbyRefreshMs?: number
}

/**
 * Everything about apps on this node: one AppHost per app, their volumes over one chunk store,
 * the replication hub and tunnels on every mesh session, and the protocol handler (HTTP front
 * and one TCP front per app port). Reacts to gossip; the decisions live in AppHost and core/.
 */
export class LocalApps {
  readonly chunks: ChunkStore
  readonly hub: ReplicationHub
  readonly traffic = new AppTraffic()
  /** Moves pinned apps this node masters back to their node. */
  private readonly pins: PinKeeper
  /** What keeps apps from running here, published for `shoal apps` on every node. */
  private readonly troubles: AppTroubles
  readonly hosts = new Map<string, AppHost>()
  http: HttpFront | null = null
  private data: DataSessions | null = null
  private readonly volumes: AppVolumes
  private readonly tcpFronts: TcpFronts
  private readonly peers: PeerSessions
  /** Apps with an operation (move, promote, drill) running on this node. */
  private readonly busy = new Set<string>()
  private readonly httpRoutes: ClusterRoutes
  /** Multiplexed connections to other nodes' HTTP ports, for requests to apps mastered there. */
  readonly frontLinks: FrontLinks
  private readonly tcpRoutes: ClusterRoutes
  private timer: NodeJS.Timeout | null = null
  private ticker: NodeJS.Timeout | null = null
  private pruner: NodeJS.Timeout | null = null
  private pruning = false
  private passing: Promise<void> = Promise.resolve()
  private closed = false
  /** Node-to-node methods other parts of the node add (stashes, drills); set before sessions open. */
  private extraRpc: Record<string, RpcHandler> = {}

  constructor(private readonly o: LocalAppsOptions) {
    this.frontLinks = new FrontLinks({ self: o.self, onStream: (name, stream) => this.acceptTunnel(name, stream) })
    this.troubles = new AppTroubles(o.mesh)
    this.pins = new PinKeeper({ self: o.self, mesh: o.mesh, busy: (app) => this.busy.has(app), move: (app, to) => this.move(app, to, () => {}), events: o.events })
    this.chunks = new ChunkStore(join(o.home, 'chunks'))
    this.volumes = new AppVolumes({
      home: o.home,
      chunks: this.chunks,
      self: o.self,
      mesh: o.mesh,
      setAside: (app, movedTo) => o.events({ at: Date.now(), kind: 'app', app, message: `${app}: the data of an earlier app called ${app} on this node was set aside in ${movedTo}` })
    })
    this.hub = new ReplicationHub({
      self: o.self,
      volume: async (app) => {
        const spec = o.mesh.gossip.apps.specs.get(app)
        return spec === undefined || spec.deleted ? null : this.volume(app)
      },
      accept: (app, from, snapnode) => {
        const seed = o.mesh.gossip.apps.specs.get(app)?.seed ?? ''
        const refusal = snapshotRefusal(o.mesh.gossip.apps.placements.get(app), o.self, from, snapnode, seed)
        if (refusal !== null) throw new ShoalError('NOT_A_REPLICA', refusal)
      },
      committed: (app) => {
        this.publishHead(app)
        this.schedule()
      },
      direct: async (peer) => (await this.data?.dial(peer)) ?? null,
      bandwidthLimit: o.replicationLimit
    })
    const sources = {
      self: o.self,
      mesh: o.mesh,
      localPort: (app: string) => this.hosts.get(app)?.healthyPort ?? null,
      tunnel: (peer: NodeId, name: string) => this.peers.openTunnel(peer, name),
      hasTunnel: (peer: NodeId) => this.peers.hasTunnel(peer),
      preferTunnel: o.preferTunnel ?? false,
      links: this.frontLinks
    }
    this.httpRoutes = new ClusterRoutes(sources, 'http')
    this.tcpRoutes = new ClusterRoutes(sources, 'tcp')
    this.peers = new PeerSessions({ mesh: o.mesh, handlers: () => this.rpcHandlers(), onTunnel: (name, stream) => this.acceptTunnel(name, stream) })
    this.tcpFronts = new TcpFronts({
      mesh: o.mesh,
      host: o.host,
      portOffset: o.portOffset,
      resolver: this.tcpRoutes,
      traffic: this.traffic,
      events: o.events,
      // A master whose address does not answer is reached through the mesh tunnel for a while.
      directFailed: (host, port) => this.tcpRoutes.directFailed(host, port),
      trouble: (app, text) => this.troubles.set(app, 'tcp', text),
      ownPorts: () => ({ http: this.httpPort, data: this.dataPort })
    })
  }

  async start(): Promise<void> {
    await this.chunks.open()
    this.http = new HttpFront({
      resolver: this.httpRoutes,
      traffic: this.traffic,
      host: this.o.host,
      port: this.o.httpPort,
      nodeName: this.o.selfName,
      acceptLink: (sock, rest, url) => this.frontLinks.accept(sock, rest, url)
    })
    this.http.on('upstream-error', (e: { app: string; error: Error }) => debug('http %s: %s', e.app, e.error.message))
    await this.http.ready().catch((err: NodeJS.ErrnoException) => {
      throw portError(err, `the HTTP port ${this.o.host}:${this.o.httpPort}`, '--http-port P')
    })
    if (this.o.dataPort !== null && this.o.dataPort !== undefined && this.o.keyPair !== undefined) {
      const data = new DataSessions({ keyPair: this.o.keyPair, host: this.o.host, port: this.o.dataPort, mesh: this.o.mesh, hub: this.hub, events: this.o.events })
      await data.listen()
      this.data = data
    }
    const mesh = this.o.mesh
    for (const ev of ['spec', 'placement', 'change', 'record']) mesh.on(ev, () => this.schedule())
    // A dead peer's session may take many seconds to time out: fail the requests tunnelled to it now.
    mesh.on('change', (e: { id: NodeId; to: string }) => e.to === 'dead' && this.peers.closeTunnel(e.id))
    this.ticker = setInterval(() => this.schedule(), RECONCILE_EVERY_MS)
    this.ticker.unref()
    this.pruner = setInterval(() => {
      this.prune().catch((err) => debug('pruning: %s', err))
    }, PRUNE_INTERVAL_MS)
    this.pruner.unref()
    this.schedule()
  }

  /** The port of direct data sessions (0 when there is none). */
  get dataPort(): number {
    return this.data?.port ?? 0
  }

  /** The port the HTTP front listens on (chosen by the OS when --http-port is 0). */
  get httpPort(): number {
    return this.http?.port ?? 0
  }

  /** A new admitted mesh session: replication channels, tunnels and node-to-node calls on it. */
  attach(peer: NodeId, mux: Protomux): void {
    this.hub.attach(peer, mux)
    this.peers.attach(peer, mux)
  }

  rpc(peer: NodeId): PeerRpc | null {
    return this.peers.rpc(peer)
  }

  /**
   * Moves an app to `target`, from whichever node this is: run here when this node is the
   * master, else forwarded to the master, whose progress events stream back.
   */
  async move(app: string, target: NodeId, emit: (e: OperationEvent) => void, opts: { requireReplica?: boolean; hops?: number } = {}): Promise<MoveResult> {
    const pl = checkMove(this.o.mesh, app, target, opts.requireReplica ?? false)
    const name = (id: NodeId) => this.o.mesh.gossip.table.get(id)?.record?.name ?? id.slice(0, 8)
    if (pl.master === target) return { ok: true, app, from: name(target), to: name(target), epoch: pl.epoch, pauseMs: 0, finalDeltaBytes: 0 }
    if (pl.master !== this.o.self) {
      const rpc = await this.peers.towards(pl.master, opts.hops ?? 0)
      if (rpc === null) throw new ShoalError('NO_MASTER', `no connection to ${app}'s master ${name(pl.master)}`)
      return (await rpc.request('app.move', { app, target, hops: (opts.hops ?? 0) + 1, requireReplica: opts.requireReplica ?? false }, (e) => emit(e as OperationEvent))) as MoveResult
    }
    if (this.busy.has(app)) throw new ShoalError('APP_BUSY', `${app} is already being moved`)
    this.busy.add(app)
    try {
      const result = await moveApp(
        {
          self: this.o.self,
          selfName: this.o.selfName,
          mesh: this.o.mesh,
          hub: this.hub,
          traffic: this.traffic,
          host: this.host(app),
          volume: await this.volume(app),
          rpc: (peer) => this.peers.towards(peer, 1, MOVE_RPC_WAIT_MS)
        },
        app,
        target,
        emit
      )
      this.o.events({
        at: Date.now(),
        kind: 'move',
        app,
        message: result.ok ? `${app} moved ${result.from} → ${result.to} (pause ${result.pauseMs} ms)` : `${app}: move to ${result.to} failed: ${result.error}`
      })
      return result
    } finally {
      this.busy.delete(app)
      this.schedule()
    }
  }

  /** Adds node-to-node methods; sessions opened from now on serve them. */
  extendRpc(handlers: Record<string, RpcHandler>): void {
    this.extraRpc = { ...this.extraRpc, ...handlers }
  }

  /** Crash drill: every app here dies at once (SIGKILL) and none restarts until resumeApps(). */
  async crashApps(): Promise<void> {
    await Promise.all([...this.hosts.values()].map((h) => h.crash()))
  }

  resumeApps(): void {
    for (const h of this.hosts.values()) h.resume()
    this.schedule()
  }

  private rpcHandlers(): Record<string, RpcHandler> {
    return { ...this.extraRpc, ...appRpcHandlers(this) }
  }

  /** The volume of `app` (of the app that has that name now), open. */
  volume(app: string): Promise<AppVolume> {
    const spec = this.o.mesh.gossip.apps.specs.get(app)
    return this.volumes.open(app, spec === undefined || spec.deleted ? null : spec.createdAt)
  }

  /** An app's captured output, from its master (see appLogs). */
  logs(req: LogRequest, emit: (l: LogLine) => void, signal: AbortSignal): Promise<void> {
    return appLogs({ self: this.o.self, mesh: this.o.mesh, host: (app) => this.hosts.get(app), towards: (peer, hops, waitMs) => this.peers.towards(peer, hops, waitMs) }, req, emit, signal)
  }

  /** Placement candidates: every live node with its load and how many apps it already has. */
  candidates(): PlacementCandidate[] {
    return placementCandidates(this.o.mesh.gossip.table, this.o.mesh.gossip.apps)
  }

  host(app: string): AppHost {
    let h = this.hosts.get(app)
    if (h === undefined) {
      h = new AppHost(app, {
        self: this.o.self,
        selfName: this.o.selfName,
        mesh: this.o.mesh,
        hub: this.hub,
        volume: (a) => this.volume(a),
        publishHead: (a) => this.publishHead(a),
        runTrouble: (a, text) => this.troubles.set(a, 'run', text),
        event: (e) => this.o.events({ ...e, at: Date.now() }),
        defaultPolicy: this.o.defaultPolicy ?? 'available',
        candidates: () => this.candidates(),
        volumeHead: (a) => this.volumes.get(a)?.headRef() ?? null,
        snapshotIntervalMs: this.o.snapshotIntervalMs,
        standby: this.o.standby,
        standbyRefreshMs: this.o.standbyRefreshMs
      })
      this.hosts.set(app, h)
    }
    return h
  }

  /** Publishes this node's newest snapshot of `app` in its gossiped record. */
  publishHead(app: string): void {
    this.volumes.publishHead(app)
  }

  /** Per-app load for the node record. */
  loads(): ReturnType<AppTraffic['loads']> {
    const loads = this.traffic.loads((app) => this.hosts.get(app)?.supervisor?.cpuLoad() ?? 0)
    for (const name of Object.keys(loads)) if (this.o.mesh.gossip.apps.placements.get(name)?.master !== this.o.self) delete loads[name]
    return loads
  }

  schedule(): void {
    if (this.closed || this.timer !== null) return
    this.timer = setTimeout(() => {
      this.timer = null
      this.passing = this.passing.then(() => this.pass()).catch((err) => debug('reconcile pass: %s', err))
    }, RECONCILE_DELAY_MS)
    this.timer.unref()
  }

  /** Before a graceful leave: every app mastered here stops and ships its last changes. */
  async handOff(): Promise<void> {
    await Promise.all([...this.hosts.values()].map((h) => h.finalSync()))
  }

  async close(): Promise<void> {
    this.closed = true
    if (this.timer !== null) clearTimeout(this.timer)
    if (this.ticker !== null) clearInterval(this.ticker)
    if (this.pruner !== null) clearInterval(this.pruner)
    await this.passing
    await this.pins.settle()
    await Promise.all([...this.hosts.values()].map((h) => h.close()))
    this.peers.close()
    this.frontLinks.close()
    this.hub.close()
    await this.data?.close()
    await this.tcpFronts.close()
    await this.http?.close()
  }

  private async pass(): Promise<void> {
    const { apps } = this.o.mesh.gossip
    for (const name of new Set([...apps.specs.keys(), ...this.hosts.keys()])) {
      const spec = apps.specs.get(name)
      const gone = spec === undefined || spec.deleted
      // A removed app's gate (anything held there is answered) and traffic figures go with it.
      if (gone && this.traffic.has(name)) this.traffic.forget(name, new ShoalError('UNKNOWN_APP', `${name} was removed`))
      if (gone && !this.hosts.has(name)) continue
      const host = this.host(name)
      await host.reconcile()
      // A removed app's host (and what it holds: its replication, its volume) is let go once
      // stopped, so that an app added later under the same name starts afresh.
      if (gone) {
        await host.close()
        this.hosts.delete(name)
        this.volumes.forget(name)
      }
    }
    pushSeeds(this.o.self, this.o.mesh, this.volumes, this.hub)
    this.pins.check()
    await this.tcpFronts.sync()
  }

  /** Retention and chunk collection over every volume on disk (see volume-retention.ts). */
  async prune(): Promise<{ snapshots: number }> {
    if (this.pruning) return { snapshots: 0 }
    this.pruning = true
    try {
      for (const name of await readdir(join(this.o.home, 'apps')).catch(() => [] as string[])) await this.volume(name)
      return await pruneVolumes(this.volumes.all(), this.chunks, this.o.mesh)
    } finally {
      this.pruning = false
    }
  }

  /** A peer forwards a connection for an app whose master is this node. */
  private acceptTunnel(name: string, stream: TunnelStream): void {
    const colon = name.indexOf(':')
    const kind = name.slice(0, colon)
    const app = name.slice(colon + 1)
    if (kind === 'http' && this.http !== null) return this.http.accept(stream as Duplex)
    const front = this.tcpFronts.get(app)
    if (kind === 'tcp' && front !== undefined) return front.accept(stream as Duplex)
    stream.refuse(new ShoalError('UNKNOWN_APP', `no ${kind || 'such'} listener for ${app} on this node`))
  }
}
