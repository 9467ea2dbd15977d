import type { Hlc } from './hlc.js'
import type { NodeId } from './types.js'

export type PartitionPolicy = 'available' | 'majority'

/**
 * What an operator asked for. Written through any node; last writer wins by (hlc, writer).
 * Removal is a tombstone (`deleted`), so a late copy of the old spec cannot resurrect the app.
 */
export interface AppSpec {
  name: string
  cmd: string
  env: Record<string, string>
  /** Host names routed to this app by every node's HTTP listener. */
  httpHosts: string[]
  /** TCP port every node listens on for this app (plus its port offset); 0 for none. */
  tcpPort: number
  /** Copies of the data, the master included. */
  replicas: number
  /** Preferred zone for the master ('' for any). */
  zone: string
  /** Node id the app is pinned to ('' for none). */
  pin: NodeId
  /** 'http:/path', 'tcp' or '' (process start is enough). */
  health: string
  /** '' follows the cluster's default. */
  partitionPolicy: PartitionPolicy | ''
  createdAt: number
  /** Snapshot the master must hold before its first start (from `--data`), or ''. */
  seed: string
  hlc: Hlc
  writer: NodeId
  deleted: boolean
}

export type PlacementState = 'pending' | 'running' | 'moving' | 'failing-over' | 'stopped'

/**
 * Where an app runs. A higher epoch always wins. Only the current master (a planned move, a
 * state change: same epoch, higher rev) or the top-ranked failover candidate (epoch + 1) writes
 * it. Two claims for the same epoch by different masters: the higher snapshot seq wins, then the
 * lower node id.
 */
export interface Placement {
  app: string
  epoch: number
  /** Revision within an epoch, raised by the master for state or replica changes. */
  rev: number
  master: NodeId
  /** Replica nodes, the master excluded, in preference order. */
  replicas: NodeId[]
  state: PlacementState
  /** Seq of the newest snapshot the claimant held when it wrote this epoch. */
  snapSeq: number
}

/** Newest snapshot a node holds of one app, published in its node record. */
export type { HeadRef as SnapshotHead } from './types.js'
