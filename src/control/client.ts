import type { AppStatus, AppsResult, ClusterEvent, LogLineView, OperationEvent, SnapshotsResult, StatusResult } from './types.js'
import { SocketConnection, type ControlConnection } from './connection.js'
import type { DrillMode, StashList, StashView } from './drill-types.js'
import { controlSocketPath } from './socket-path.js'

/** The typed control client used by the CLI and the console. */
export class ControlClient {
  constructor(readonly connection: ControlConnection) {}

  static async connect(home: string): Promise<ControlClient> {
    return new ControlClient(await SocketConnection.connect(controlSocketPath(home), home))
  }

  status(): Promise<StatusResult> {
    return this.connection.call('status') as Promise<StatusResult>
  }

  /** Membership and cluster events; `history` replays that many recent ones first. */
  events(opts: { history?: number } = {}): AsyncIterableIterator<ClusterEvent> {
    return this.connection.stream('events', { history: opts.history ?? 0 }) as AsyncIterableIterator<ClusterEvent>
  }

  apps(): Promise<AppsResult> {
    return this.connection.call('apps') as Promise<AppsResult>
  }

  addApp(spec: {
    name: string
    cmd: string
    data?: string
    httpHosts?: string[]
    tcpPort?: number
    replicas?: number
    zone?: string
    pin?: string
    health?: string
    env?: Record<string, string>
    partitionPolicy?: string
  }): Promise<AppStatus> {
    return this.connection.call('app.add', { ...spec }) as Promise<AppStatus>
  }

  async removeApp(app: string): Promise<void> {
    await this.connection.call('app.rm', { app })
  }

  scaleApp(app: string, replicas: number): Promise<AppStatus> {
    return this.connection.call('app.scale', { app, replicas }) as Promise<AppStatus>
  }

  /** The app's captured output on this node; `follow` keeps streaming new lines. */
  logs(app: string, opts: { follow?: boolean; lines?: number } = {}): AsyncIterableIterator<LogLineView> {
    return this.connection.stream('logs', { app, follow: opts.follow ?? false, lines: opts.lines ?? 100 }) as AsyncIterableIterator<LogLineView>
  }

  snapshots(app: string): Promise<SnapshotsResult> {
    return this.connection.call('snapshots', { app }) as Promise<SnapshotsResult>
  }

  checkoutSnapshot(app: string, snapshot: string, dir: string): Promise<{ app: string; snapshot: string; dir: string }> {
    return this.connection.call('snapshot.checkout', { app, snapshot, dir }) as Promise<{ app: string; snapshot: string; dir: string }>
  }

  /** A planned move; events stream as it goes, the last has tag `result` (see MoveResult). */
  move(app: string, node: string): AsyncIterableIterator<OperationEvent> {
    return this.connection.stream('app.move', { app, node }) as AsyncIterableIterator<OperationEvent>
  }

  /** Like move, but the target must already be a replica. */
  promote(app: string, node: string): AsyncIterableIterator<OperationEvent> {
    return this.connection.stream('app.promote', { app, node }) as AsyncIterableIterator<OperationEvent>
  }

  pin(app: string, node: string): AsyncIterableIterator<OperationEvent> {
    return this.connection.stream('app.pin', { app, node }) as AsyncIterableIterator<OperationEvent>
  }

  /** Unpins `app`; says whether it was pinned. */
  async unpin(app: string): Promise<{ wasPinned: boolean }> {
    const r = (await this.connection.call('app.unpin', { app })) as { wasPinned?: unknown }
    return { wasPinned: r?.wasPinned !== false }
  }

  /** Stashes on every alive node (the ones that did not answer are named in `unreachable`). */
  stashes(): Promise<StashList> {
    return this.connection.call('stash.list') as Promise<StashList>
  }

  /** Materialises a stash held by this node into `dir` (new or empty); NOT_FOUND names the holder otherwise. */
  checkoutStash(id: string, dir: string): Promise<{ id: string; dir: string; snapshot: string }> {
    return this.connection.call('stash.checkout', { id, dir }) as Promise<{ id: string; dir: string; snapshot: string }>
  }

  /** Removes a stash wherever it is held. */
  dropStash(id: string): Promise<StashView> {
    return this.connection.call('stash.drop', { id }) as Promise<StashView>
  }

  /**
   * A failover drill run from this node; progress events stream (probe, stop, detect, promote,
   * restore, done) and the last has tag `result` with a DrillReport.
   */
  drill(app: string, mode: DrillMode, opts: { durationS?: number; probePath?: string; wholeNode?: boolean } = {}): AsyncIterableIterator<OperationEvent> {
    return this.connection.stream('app.drill', { app, mode, ...opts }) as AsyncIterableIterator<OperationEvent>
  }

  close(): void {
    this.connection.close()
  }
}
