import { EventEmitter } from 'node:events'
import type { ClusterEvent } from '../control/types.js'

export const EVENT_LOG_SIZE = 500

/** The node's recent cluster events, replayable to new subscribers and streamed live. */
export class EventLog {
  private readonly ring: ClusterEvent[] = []
  private readonly emitter = new EventEmitter()

  constructor(private readonly size = EVENT_LOG_SIZE) {
    this.emitter.setMaxListeners(0)
  }

  add(e: ClusterEvent): void {
    this.ring.push(e)
    if (this.ring.length > this.size) this.ring.shift()
    this.emitter.emit('event', e)
  }

  recent(n: number): ClusterEvent[] {
    return n <= 0 ? [] : this.ring.slice(-n)
  }

  subscribe(fn: (e: ClusterEvent) => void): () => void {
    this.emitter.on('event', fn)
    return () => this.emitter.off('event', fn)
  }
}
