import type { ClusterEvent, StatusResult } from './types.js'
import { SocketConnection, type ControlConnection } from './connection.js'
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

  close(): void {
    this.connection.close()
  }
}
