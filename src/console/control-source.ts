import type { ControlClient } from '../control/client.js'
import type { ClusterEvent, OperationEvent } from '../control/types.js'
import type { ConsoleSource, DrillMode, SnapshotInfo } from './source.js'

/** Events replayed when the console opens, so the Events view is not empty at first. */
export const EVENT_HISTORY = 200

/** The console's view of a node, over its control client (socket or in-process). */
export class ControlSource implements ConsoleSource {
  constructor(private readonly client: ControlClient) {}

  status() {
    return this.client.status()
  }

  apps() {
    return this.client.apps()
  }

  subscribe(onEvent: (e: ClusterEvent) => void): () => void {
    const events = this.client.events({ history: EVENT_HISTORY })
    let stopped = false
    const pump = async () => {
      for await (const e of events) if (!stopped) onEvent(e)
    }
    pump().catch((err: Error) => {
      if (!stopped) onEvent({ at: Date.now(), kind: 'error', message: `event stream ended: ${err.message}` })
    })
    return () => {
      if (stopped) return
      stopped = true
      void events.return?.()
    }
  }

  async snapshots(app: string): Promise<SnapshotInfo[]> {
    const res = await this.client.snapshots(app)
    return res.snapshots
      .map((s): SnapshotInfo => {
        // SnapshotView has no size yet; take one if the node sends it, so the SIZE column appears.
        const size = (s as { bytes?: unknown }).bytes
        return { id: s.id, time: s.time, epoch: s.epoch, seq: s.seq, holders: s.holderNames, ...(typeof size === 'number' ? { bytes: size } : {}) }
      })
      .sort((a, b) => b.seq - a.seq || b.time - a.time)
  }

  async logs(app: string, lines: number): Promise<string[]> {
    const out: string[] = []
    for await (const l of this.client.logs(app, { lines })) out.push(l.line)
    return out
  }

  move(app: string, node: string): AsyncIterable<OperationEvent> {
    return throwOnFailure(this.client.move(app, node))
  }

  promote(app: string, node: string): AsyncIterable<OperationEvent> {
    return throwOnFailure(this.client.promote(app, node))
  }

  pin(app: string, node: string): AsyncIterable<OperationEvent> {
    return throwOnFailure(this.client.pin(app, node))
  }

  async unpin(app: string): Promise<void> {
    await this.client.unpin(app)
  }

  drill(app: string, mode: DrillMode): AsyncIterable<OperationEvent> {
    return throwOnFailure(this.client.connection.stream('app.drill', { app, mode }) as AsyncIterable<OperationEvent>)
  }

  close(): void {
    this.client.close()
  }
}

/** A move that failed ends with a `result` whose ok is false: surface it as the error it is. */
async function* throwOnFailure(events: AsyncIterable<OperationEvent>): AsyncIterable<OperationEvent> {
  for await (const e of events) {
    if (e.tag === 'result' && e.data.ok === false) {
      const err = new Error(String(e.data.error ?? 'the operation failed')) as Error & { code?: string }
      err.code = String(e.data.code ?? 'MIGRATION_ABORTED')
      throw err
    }
    yield e
  }
}
