import type { HeadRef, NodeId } from '../core/types.js'
import type { PlacementCandidate } from '../core/placement.js'
import type { Mesh } from '../mesh/mesh.js'
import type { ClusterEvent } from '../control/types.js'
import type { AppVolume } from './app-volume.js'
import type { ReplicationHub } from './replication-hub.js'

/** What an AppHost (and the parts it delegates to) needs from its node. */
export interface AppHostContext {
  self: NodeId
  selfName: string
  mesh: Mesh
  hub: ReplicationHub
  volume(app: string): Promise<AppVolume>
  publishHead(app: string, head: HeadRef | null): void
  /** What keeps the app's process from running here, in a sentence; null once nothing does. */
  runTrouble(app: string, text: string | null): void
  event(e: Omit<ClusterEvent, 'at'>): void
  defaultPolicy: 'available' | 'majority'
  candidates(): PlacementCandidate[]
  /** This node's own newest snapshot of an app (fresher than its gossiped record). */
  volumeHead?(app: string): HeadRef | null
  snapshotIntervalMs?: number
  /** False: replicas keep no standby copy (less disk; a takeover checks out the whole volume). */
  standby?: boolean
  /** Default STANDBY_REFRESH_MS (see standby.ts). */
  standbyRefreshMs?: number
}
