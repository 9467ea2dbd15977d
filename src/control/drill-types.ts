/** Shapes of `shoal stash` and `shoal drill` answers (plain JSON, as `--json` prints them). */

/** One stash: snapshots a losing master kept under a named branch on the node that holds them. */
export interface StashView {
  /** Unique and readable: `<app>-e<epoch>-<node>-<yyyymmddhhmmss>`. */
  id: string
  app: string
  /** Name and id of the node holding it (checkout runs there). */
  node: string
  nodeId: string
  /** Wall-clock ms the stash was made. */
  time: number
  /** Master term the stashed writes belong to. */
  epoch: number
  snapshots: number
  /** Newest stashed snapshot: what `stash checkout` materialises. */
  head: string
  /** Bytes of data in the newest snapshot. */
  bytes: number
}

export interface StashList {
  stashes: StashView[]
  /** Alive nodes that did not answer (their stashes are missing from the list). */
  unreachable: string[]
}

export type DrillMode = 'crash' | 'partition' | 'graceful'

export interface DrillWrites {
  attempted: number
  acknowledged: number
  failed: number
  /** Acknowledged but found neither in the new master's data nor in any stash. */
  lost: number
  /** Acknowledged, missing from the new master's data, kept in the stash (the RPO, in writes). */
  stashedOnly: number
  /** Failed writes by reason (HTTP status or socket error code), through which front. */
  failures: Record<string, number>
}

export interface DrillReport {
  ok: boolean
  app: string
  mode: DrillMode
  /** The master before the fault, and the one after. */
  from: string
  to: string
  /** Fault → the cluster marks the old master dead (null for graceful). */
  detectionMs: number | null
  /** Fault → first acknowledged probe write (started after the fault) held by the new master. */
  recoveryMs: number | null
  writes: DrillWrites
  /** The old master's stash, if it made one. */
  stash: string | null
  /** Every stash of the app made since the fault (a heal can depose a second master). */
  stashes: string[]
  placement: { epoch: number; master: string; replicas: string[] }
  error?: string
  code?: string
}
