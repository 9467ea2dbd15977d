/** Keys are 32 bytes on the wire and lowercase hex strings everywhere else. */
export type NodeId = string

/** Newest snapshot a node holds of one app (see app-types.ts). */
export interface HeadRef {
  id: string
  seq: number
  epoch: number
  time: number
}

export type MemberStatus = 'alive' | 'suspect' | 'dead' | 'left'

/** Per-app load measured by the node's protocol handler and runtime (filled by later layers). */
export interface AppLoad {
  rps: number
  bytesPerSec: number
  connections: number
  p50Ms: number
  p99Ms: number
  cpu: number
}

export interface NodeLoad {
  /** Busy fraction of the machine's CPUs, 0..1. */
  cpu: number
  /** Used fraction of the machine's memory, 0..1. */
  mem: number
  /** Resident set size of the node process, bytes. */
  rss: number
  apps: Record<string, AppLoad>
}

/**
 * Written only by its own node. (incarnation, seq) orders versions: a restart or a refutation
 * raises the incarnation, every other change raises seq.
 */
export interface NodeRecord {
  id: NodeId
  incarnation: number
  seq: number
  name: string
  zone: string
  /** Hosts other nodes and clients can reach this node on (its DHT host, or advertised). */
  addresses: string[]
  httpPort: number
  /** Port of its direct data sessions (see DataLinks), on the same addresses; absent if none. */
  dataPort?: number
  portOffset: number
  /** Relative weight of this server: 1 is an ordinary machine. */
  capacity: number
  load: NodeLoad
  version: string
  /** Wall-clock ms when this incarnation started. */
  startedAt: number
  /** Per app: the newest snapshot this node holds (feeds lag figures and failover ranking). */
  heads: Record<string, HeadRef>
  /**
   * Per app, what keeps it from running here, in a sentence (a crash loop, a health check that
   * does not pass, a TCP port that cannot be listened on); absent when nothing does.
   */
  troubles?: Record<string, string>
}

/** A claim by some node that `id` at `incarnation` is suspect, dead or has left. */
export interface StatusClaim {
  id: NodeId
  incarnation: number
  status: Exclude<MemberStatus, 'alive'>
  by: NodeId
}

/** What a node knows of one member: its latest record and the strongest claim about it. */
export interface Member {
  record: NodeRecord | null
  claim: StatusClaim | null
}

export const emptyLoad = (): NodeLoad => ({ cpu: 0, mem: 0, rss: 0, apps: {} })
