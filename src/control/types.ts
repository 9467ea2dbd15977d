/**
 * The shapes the control API speaks: what `shoal ... --json` prints and what the console
 * renders. Plain JSON data, so the same values cross the Unix socket and in-process calls.
 */
import type { MemberStatus } from '../core/types.js'

export interface NodeStatus {
  id: string
  name: string
  zone: string
  status: MemberStatus
  /** Round-trip time measured by the answering node; 0 for itself, null when not measured. */
  rttMs: number | null
  /** Busy fraction of the node's CPUs, 0..1. */
  cpu: number
  /** Used fraction of the node's memory, 0..1. */
  mem: number
  /** Apps whose master this node is. */
  apps: number
  addresses: string[]
  self: boolean
  incarnation: number
  capacity: number
  version: string
  httpPort: number
  /** Port of its direct data sessions (replication over TCP); null when it has none. */
  dataPort: number | null
  portOffset: number
  rssBytes: number
}

export interface StatusResult {
  self: string
  nodes: NodeStatus[]
  /** Front links of the node asked (mesh/front-links.ts): made by it to other nodes' HTTP ports
   * (`out`), and made to it by other nodes (`in`). */
  frontLinks?: { out: number; in: number }
}

export type AppState = 'pending' | 'running' | 'moving' | 'failing-over' | 'stopped'

export interface ReplicaStatus {
  node: string
  nodeId: string
  /** Newest snapshot id the replica holds, or null. */
  snapshot: string | null
  lagMs: number | null
  /**
   * How the master sends to this replica: over a direct data session or the mesh; null when
   * nothing was sent yet, or when asked of another node than the master (only it knows).
   */
  via: 'direct' | 'mesh' | null
  /**
   * The snapshot transfer to this replica in progress, when the node asked is its master or the
   * replica itself; null when none is running (or this node cannot see it).
   */
  transfer: TransferStatus | null
}

/** One snapshot transfer in progress (sizes in bytes, rate in bytes per second). */
export interface TransferStatus {
  snapshot: string
  /** manifest: fetching the manifest; chunks: the data; commit: verifying and committing. */
  phase: 'manifest' | 'chunks' | 'commit'
  bytes: number
  /** Estimated until every chunk's size is known. */
  totalBytes: number
  chunks: number
  totalChunks: number
  rate: number
  /** Estimated ms left; null until a rate is known. */
  etaMs: number | null
}

export interface AppStatus {
  name: string
  state: AppState
  epoch: number
  master: string | null
  masterId: string | null
  replicas: ReplicaStatus[]
  snapshot: string | null
  /** Wall-clock ms of the master's newest snapshot, or null. */
  snapshotAt: number | null
  pinned: string | null
  rps: number
  /** Traffic through the master's protocol handler over the last ten seconds. */
  load: { rps: number; bytesPerSec: number; connections: number; p50Ms: number; p99Ms: number }
  /** What keeps the app from running, as each live node that has trouble with it says. */
  troubles: Array<{ node: string; nodeId: string; text: string }>
}

export interface AppsResult {
  apps: AppStatus[]
}

export type ClusterEventKind =
  | 'joined'
  | 'alive'
  | 'suspect'
  | 'dead'
  | 'left'
  | 'app'
  | 'move'
  | 'failover'
  | 'drill'
  | 'error'

/** One line of the cluster's event log, as `shoal events` and the console show it. */
export interface ClusterEvent {
  /** Wall-clock ms. */
  at: number
  kind: ClusterEventKind
  /** Node the event is about (id), if any. */
  node?: string
  nodeName?: string
  app?: string
  /** Previous status for membership events. */
  from?: MemberStatus | null
  message: string
}

/** A streamed operation's progress (move, promote, drill…): both CLI and console render these. */
export interface OperationEvent {
  tag: string
  data: Record<string, unknown>
}

/** One line of an app's captured output. */
export interface LogLineView {
  ts: number
  stream: 'stdout' | 'stderr' | 'shoal'
  line: string
}

export interface SnapshotView {
  id: string
  parent: string | null
  origin: string
  originName: string
  epoch: number
  seq: number
  time: number
  holders: string[]
  holderNames: string[]
}

export interface SnapshotsResult {
  app: string
  /** The node that answered: snapshots are listed as this node holds them. */
  node: string
  snapshots: SnapshotView[]
  stashes: Record<string, string[]>
}
