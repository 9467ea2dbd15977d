/**
 * How far a replica is behind its master, as the app details view words it. In sync or not comes
 * from the app's status (the replica's newest snapshot against the master's, and its lag), which
 * every node sees alike; only the bar's length uses the snapshots the answering node lists, and
 * when that node cannot place both snapshots (it holds no copy, say) there is no bar at all.
 */
import type { ReplicaStatus } from '../control/types.js'
import type { SnapshotInfo } from './source.js'

export interface ReplicaSync {
  words: 'in sync' | 'behind' | 'no snapshot yet'
  /** Length of the bar, 0…1; null when this node cannot tell how far behind. */
  fraction: number | null
}

/** `masterSnapshot` is the app's status `snapshot`; `listed` the answering node's snapshots, newest first. */
export function replicaSync(replica: Pick<ReplicaStatus, 'snapshot' | 'lagMs'>, masterSnapshot: string | null, listed: readonly SnapshotInfo[]): ReplicaSync {
  if (replica.snapshot === null) return { words: 'no snapshot yet', fraction: 0 }
  if (replica.snapshot === masterSnapshot || replica.lagMs === 0) return { words: 'in sync', fraction: 1 }
  const held = listed.findIndex((s) => s.id === replica.snapshot)
  // Snapshots this node took after the master's published one do not count against the replica.
  const head = masterSnapshot === null ? 0 : listed.findIndex((s) => s.id === masterSnapshot)
  if (held < 0 || head < 0 || held <= head) return { words: 'behind', fraction: null }
  return { words: 'behind', fraction: Math.max(0.05, 1 - (held - head) / (listed.length - head)) }
}
