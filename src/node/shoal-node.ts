import os from 'node:os'
import { debuglog } from 'node:util'
import DHT from 'hyperdht'
import b4a from 'b4a'
import { realClock, every, type TimerHandle } from '../core/clock.js'
import { ShoalError } from '../core/errors.js'
import type { NodeRecord } from '../core/types.js'
import { ControlClient } from '../control/client.js'
import { InProcessConnection } from '../control/connection.js'
import { ControlServer } from '../control/server.js'
import type { ClusterEvent } from '../control/types.js'
import { clusterTopic, parseClusterKey } from '../mesh/admission.js'
import { Mesh, type MembershipEvent, type MeshOptions } from '../mesh/mesh.js'
import { SwarmTransport } from '../mesh/swarm-transport.js'
import { advertisedAddresses } from './advertised-addresses.js'
import { logMasterChanges } from './master-change-events.js'
import { controlHandlers } from './control-handlers.js'
import { EventLog } from './event-log.js'
import { ensureHome, loadIdentitySeed, loadState, lockHome, saveState } from './home.js'
import { LoadSampler } from './load-sampler.js'
import { AppHandlers } from './app-handlers.js'
import { LocalApps } from './local-apps.js'
import { reconcileDials } from './peer-dialer.js'
import { StashCatalog } from './stash-catalog.js'
import { drillRpcHandlers, runDrill, type DrillContext } from './drill.js'
import { SOFTWARE_VERSION } from './version.js'
import type { createConsoleSshServer } from '../console/ssh-server.js'

const debug = debuglog('shoal')

export const LOAD_INTERVAL_MS = 2000
export const DIAL_INTERVAL_MS = 1000
/** A drill's fault starts this long after it is asked for, so the answer reaches the caller first. */
export const FAULT_DELAY_MS = 50
/** Back from a crash drill, apps wait for news from a peer (at most this long) before they run. */
export const REJOIN_SETTLE_MS = 5000

export interface NodeOptions {
  home: string
  /** 64 hex characters. */
  clusterKey: string
  name?: string
  zone?: string
  /** Private DHT bootstrap nodes; undefined uses hyperswarm's public ones. */
  bootstrap?: Array<{ host: string; port: number }>
  /** Address the node binds to (DHT, fronts), e.g. 127.0.0.1; every interface when absent. */
  host?: string
  /** Addresses other nodes reach this one at, in order (default: see advertisedAddresses). */
  advertise?: string[]
  httpPort?: number
  /**
   * Port of direct data sessions (replication over TCP, see DataLinks); 0 lets the OS choose,
   * null listens on none (transfers then go over the mesh).
   */
  dataPort?: number | null
  /** Bytes per second each replication transfer from this node may send; unlimited if absent. */
  replicationLimit?: number
  portOffset?: number
  capacity?: number
  mesh?: MeshOptions
  loadIntervalMs?: number
  /** Cluster-wide default partition policy for apps that do not set one. */
  partitionPolicy?: 'available' | 'majority'
  /** Forward to other nodes through mesh tunnels even when their address answers. */
  preferTunnel?: boolean
  /** Replicas keep a checked-out standby copy of each app's folder (default true; see AppHost). */
  standby?: boolean
  /** A replica refreshes its standby at most this often (default 30 s). */
  standbyRefreshMs?: number
  snapshotIntervalMs?: number
  /** Test hook: the topic to join (defaults to the one derived from the key). */
  topic?: Uint8Array
  /** Serve the console over SSH on this port (with `authorizedKeys`). */
  sshPort?: number
  /** authorized_keys file: only these keys get in (`shoal-read-only` marks a read-only key). */
  authorizedKeys?: string
}

/**
 * The composition root: one node's identity, transport, mesh and control API. `ready()` and
 * `close()` are idempotent; a failed `ready()` closes what it opened.
 */
export class ShoalNode {
  readonly events = new EventLog()
  mesh: Mesh | null = null
  transport: SwarmTransport | null = null
  /** A graceful leave is under way: connections are ended, not cut. */
  private leaving = false
  apps: LocalApps | null = null
  stashes: StashCatalog | null = null
  /** Set while a drill has made this node silent. */
  private silent = false
  private appHandlers: AppHandlers | null = null
  private control: ControlServer | null = null
  private unlock: (() => Promise<void>) | null = null
  private loadTimer: TimerHandle | null = null
  ssh: Awaited<ReturnType<typeof createConsoleSshServer>> | null = null
  private dialTimer: TimerHandle | null = null
  private opening: Promise<void> | null = null
  private closing: Promise<void> | null = null

  constructor(readonly opts: NodeOptions) {}

  get id(): string {
    if (this.mesh === null) throw new ShoalError('NODE_CLOSED', 'node is not ready')
    return this.mesh.id
  }

  ready(): Promise<void> {
    this.opening ??= this.open().catch(async (err) => {
      await this.close()
      throw err
    })
    return this.opening
  }

  private async open(): Promise<void> {
    const clusterKey = parseClusterKey(this.opts.clusterKey)
    const paths = await ensureHome(this.opts.home)
    this.unlock = await lockHome(paths)
    debug('home %s locked', paths.dir)
    const keyPair = DHT.keyPair(await loadIdentitySeed(paths))
    const state = await loadState(paths)
    // Every start outranks anything said about this node's previous run.
    const incarnation = Math.max(state.incarnation + 1, Math.floor(Date.now() / 1000))
    await saveState(paths, { incarnation })

    const transport = (this.transport = new SwarmTransport({
      keyPair,
      clusterKey,
      topic: this.opts.topic ?? clusterTopic(clusterKey),
      bootstrap: this.opts.bootstrap,
      host: this.opts.host,
      software: SOFTWARE_VERSION,
      // An operator upgrading node by node, or a node started with another key, sees why.
      onRefused: (peer, why) => {
        if (why.code === 'PROTOCOL_MISMATCH' || why.code === 'ADMISSION_FAILED') {
          this.events.add({ at: Date.now(), kind: 'error', node: peer, message: `refused node ${peer.slice(0, 12)}: ${why.message}` })
        }
      }
    }))
    const id = b4a.toString(keyPair.publicKey, 'hex')
    const sampler = new LoadSampler()
    const self: NodeRecord = {
      id,
      incarnation,
      seq: 0,
      name: this.opts.name ?? os.hostname(),
      zone: this.opts.zone ?? '',
      addresses: advertisedAddresses(this.opts),
      httpPort: this.opts.httpPort ?? 0,
      portOffset: this.opts.portOffset ?? 0,
      capacity: this.opts.capacity ?? 1,
      load: sampler.sample(),
      version: SOFTWARE_VERSION,
      startedAt: Date.now(),
      heads: {}
    }
    const mesh = (this.mesh = new Mesh(transport, realClock, self, this.opts.mesh))
    mesh.on('change', (e: MembershipEvent) => this.events.add(membershipEvent(e)))
    logMasterChanges(mesh, id, (e) => this.events.add(e))
    mesh.on('incarnation', (inc: number) => {
      saveState(paths, { incarnation: inc }).catch((err) => this.reportError('saving state', err))
    })
    mesh.start()
    debug('mesh started')

    const apps = (this.apps = new LocalApps({
      home: paths.dir,
      self: id,
      selfName: self.name,
      mesh,
      host: this.opts.host ?? '0.0.0.0',
      httpPort: this.opts.httpPort ?? 0,
      dataPort: this.opts.dataPort === undefined ? 0 : this.opts.dataPort,
      keyPair,
      replicationLimit: this.opts.replicationLimit,
      portOffset: this.opts.portOffset ?? 0,
      events: (e) => this.events.add(e),
      defaultPolicy: this.opts.partitionPolicy,
      preferTunnel: this.opts.preferTunnel,
      standby: this.opts.standby,
      standbyRefreshMs: this.opts.standbyRefreshMs,
      snapshotIntervalMs: this.opts.snapshotIntervalMs
    }))
    await apps.start()
    debug('apps started, http on %d', apps.httpPort)
    mesh.updateSelf(apps.dataPort > 0 ? { httpPort: apps.httpPort, dataPort: apps.dataPort } : { httpPort: apps.httpPort })
    this.appHandlers = new AppHandlers({ self: id, mesh, apps })
    this.stashes = new StashCatalog({ home: paths.dir, self: id, selfName: self.name, mesh, volume: (a) => apps.volume(a), rpc: (p) => apps.rpc(p) })
    apps.extendRpc({ ...this.stashes.rpcHandlers(), ...drillRpcHandlers(this.drillContext()) })
    transport.onSession((s) => apps.attach(s.id, s.mux))

    this.control = new ControlServer(paths.socket, controlHandlers(this.view()))
    await this.control.listen()
    debug('control socket listening')
    await transport.ready()
    if (this.opts.sshPort !== undefined) {
      if (this.opts.authorizedKeys === undefined) throw new ShoalError('BAD_ARGUMENT', '--ssh-port needs --authorized-keys FILE: only the keys listed there get in')
      // Loaded only when asked for: the console's UI libraries cost a node memory otherwise.
      const { createConsoleSshServer } = await import('../console/ssh-server.js')
      const { ControlSource } = await import('../console/control-source.js')
      this.ssh = await createConsoleSshServer({
        hostKeyDir: paths.dir,
        authorizedKeysFile: this.opts.authorizedKeys,
        host: this.opts.host ?? '0.0.0.0',
        port: this.opts.sshPort,
        source: () => new ControlSource(this.client()),
        releaseSource: (source) => (source as InstanceType<typeof ControlSource>).close(),
        onError: (err: unknown) => this.reportError('ssh console', err)
      })
      debug('ssh console on port %d', this.ssh.address().port)
    }

    this.dialTimer = every(realClock, DIAL_INTERVAL_MS, () => {
      reconcileDials(mesh.members(), transport)
      mesh.reap()
    })
    this.loadTimer = every(realClock, this.opts.loadIntervalMs ?? LOAD_INTERVAL_MS, () => {
      mesh.updateSelf({ load: sampler.sample(apps.loads()) })
    })
  }

  /** A client that talks to this node without a socket (same API, same errors). */
  client(): ControlClient {
    if (this.mesh === null) throw new ShoalError('NODE_CLOSED', 'node is not ready')
    return new ControlClient(new InProcessConnection(controlHandlers(this.view())))
  }

  private view() {
    const mesh = this.mesh!
    return {
      selfId: mesh.id,
      members: () => mesh.members(),
      events: this.events,
      apps: this.appHandlers!,
      local: this.apps!,
      stashes: this.stashes!,
      drill: (app: string, opts: Parameters<typeof runDrill>[2], emit: Parameters<typeof runDrill>[3]) => runDrill(this.drillContext(), app, opts, emit)
    }
  }

  private drillContext(): DrillContext {
    const mesh = this.mesh!
    return {
      self: mesh.id,
      selfName: mesh.record.name,
      mesh,
      local: this.apps!,
      events: this.events,
      stashes: this.stashes!,
      fault: async (mode, ms) => {
        if (this.silent) throw new ShoalError('APP_BUSY', `${mesh.record.name} is already silent for a drill`)
        this.silent = true
        const at = Date.now() + FAULT_DELAY_MS
        setTimeout(() => {
          this.goSilent(mode, ms)
            .catch((err) => this.reportError('drill', err))
            .finally(() => (this.silent = false))
        }, FAULT_DELAY_MS)
        return { at }
      }
    }
  }

  /**
   * Drills: this node drops out of the cluster for `ms`. Every connection drops and none is
   * accepted (a fresh swarm rejoins afterwards). 'crash': its apps die at once and its mesh
   * stops, as if the server lost power; it comes back from its disk with a higher incarnation
   * and its apps wait for news from a peer, so reconciliation (not a stale view) decides their
   * fate. 'partition': the mesh and apps keep running and its own front keeps serving local
   * clients, while requests other nodes forward to it are cut as the network would (a split
   * brain) until the link heals. Resolves once the node is connected again.
   */
  async goSilent(mode: 'crash' | 'partition', ms: number): Promise<void> {
    const mesh = this.mesh!
    const transport = this.transport!
    const apps = this.apps!
    this.events.add({ at: Date.now(), kind: 'drill', node: mesh.id, nodeName: mesh.record.name, message: `${mesh.record.name} goes silent for ${Math.round(ms / 1000)} s (${mode} drill)` })
    if (mode === 'crash') {
      mesh.stop()
      await apps.crashApps()
    } else if (apps.http !== null) apps.http.isolated = true
    await transport.suspend()
    await new Promise((r) => setTimeout(r, ms))
    if (this.closing !== null) return
    if (apps.http !== null) apps.http.isolated = false
    await transport.resume()
    if (mode === 'crash') {
      mesh.rejoin()
      await this.newsFromPeer(REJOIN_SETTLE_MS)
      apps.resumeApps()
    }
    this.events.add({ at: Date.now(), kind: 'drill', node: mesh.id, nodeName: mesh.record.name, message: `${mesh.record.name} is back (${mode} drill)` })
  }

  /** Resolves when a peer's placement news arrives, a session opened plus one digest round passed, or `ms`. */
  private newsFromPeer(ms: number): Promise<void> {
    const mesh = this.mesh!
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer)
        clearInterval(poll)
        mesh.off('placement', done)
        resolve()
      }
      const timer = setTimeout(done, ms)
      let firstSession = 0
      const poll = setInterval(() => {
        if (this.transport!.connected().length === 0) return
        firstSession ||= Date.now()
        if (Date.now() - firstSession > 1000) done()
      }, 50)
      mesh.on('placement', done)
    })
  }

  /**
   * Graceful: apps this node runs are stopped and their last changes sent to a replica first,
   * then peers are told this node `left` (never `dead`), then it closes.
   */
  async leave(): Promise<void> {
    if (this.closing === null) {
      this.leaving = true
      await this.apps?.handOff()
      await this.mesh?.leave()
    }
    await this.close()
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown()
    return this.closing
  }

  private async shutdown(): Promise<void> {
    this.loadTimer?.cancel()
    this.dialTimer?.cancel()
    await this.ssh?.close()
    await this.control?.close()
    await this.apps?.close()
    this.mesh?.stop()
    await this.transport?.close({ graceful: this.leaving })
    await this.unlock?.()
  }

  private reportError(what: string, err: unknown): void {
    this.events.add({ at: Date.now(), kind: 'error', message: `${what}: ${err instanceof Error ? err.message : String(err)}` })
  }
}

function membershipEvent(e: MembershipEvent): ClusterEvent {
  const kind = e.from === null && e.to === 'alive' ? 'joined' : e.to
  const verb = kind === 'joined' ? 'joined' : kind === 'left' ? 'left' : `is ${kind}`
  return { at: e.at, kind, node: e.id, nodeName: e.name, from: e.from, message: `${e.name} ${verb}` }
}

