/**
 * Everything the console needs from a node, as a subset of the control client. The console
 * never reaches further than this: the node implements it over the control socket (or
 * in-process), tests and the benchmark use the simulated cluster in `fake-source.ts`.
 */
import type { AppStatus, ClusterEvent, OperationEvent, StatusResult } from '../control/types.js'

/** One snapshot of an app's volume, as the details view lists it. */
export interface SnapshotInfo {
  id: string
  /** Wall-clock ms when it was taken. */
  time: number
  epoch: number
  seq: number
  /** Names of the nodes that hold it. */
  holders: string[]
  /** Size in bytes; absent when the node does not say (the control API's SnapshotView has none yet). */
  bytes?: number
}

/**
 * An app as the console lists it. `snapshotAt` (wall-clock ms of the newest snapshot) is not in
 * the control API's AppStatus yet; when absent the apps view shows the age as "-".
 */
export type ConsoleAppStatus = AppStatus & { snapshotAt?: number | null }

export type DrillMode = 'crash' | 'partition' | 'graceful'

export interface ConsoleSource {
  /** Cluster membership and load as the answering node sees it. Polled, at most a few times a second. */
  status(): Promise<StatusResult>
  /** Every app with its placement and load. Polled together with status(). */
  apps(): Promise<{ apps: ConsoleAppStatus[] }>
  /**
   * Live cluster events, delivered in order as they happen; never blocks the caller.
   * Returns an unsubscribe function, safe to call more than once.
   */
  subscribe(onEvent: (e: ClusterEvent) => void): () => void
  /** The app's snapshots, newest first. Rejects with a ShoalError (`UNKNOWN_APP`…). */
  snapshots(app: string): Promise<SnapshotInfo[]>
  /** The last `lines` lines of the app's output, oldest first. */
  logs(app: string, lines: number): Promise<string[]>
  /**
   * Streamed operations: each yields OperationEvent values (`{ tag, data }`) as it progresses and
   * ends when the operation is over. Failures are thrown from the iterator as errors carrying
   * `.code` (ShoalError). Breaking out of the loop stops listening, not the operation.
   */
  move(app: string, node: string): AsyncIterable<OperationEvent>
  promote(app: string, node: string): AsyncIterable<OperationEvent>
  pin(app: string, node: string): AsyncIterable<OperationEvent>
  unpin(app: string): Promise<void>
  drill(app: string, mode: DrillMode): AsyncIterable<OperationEvent>
}
