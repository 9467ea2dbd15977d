import type { Placement } from './app-types.js'
import type { NodeId } from './types.js'

/** An app's master changed: by a move (or promote) or by a failover. */
export interface MasterChange {
  kind: 'move' | 'failover'
  app: string
  from: NodeId
  to: NodeId
  epoch: number
}

/**
 * What a newer placement of an app says happened since `prev` (the last one this node saw): a
 * new master in a new epoch is a failover when its claimant wrote it (state 'failing-over'), else
 * a move. Null for the first placement seen, a change within an epoch, or no master change.
 */
export function masterChange(prev: Pick<Placement, 'epoch' | 'master'> | undefined, next: Placement): MasterChange | null {
  if (prev === undefined || next.epoch <= prev.epoch) return null
  if (prev.master === '' || next.master === '' || next.master === prev.master) return null
  return { kind: next.state === 'failing-over' ? 'failover' : 'move', app: next.app, from: prev.master, to: next.master, epoch: next.epoch }
}
