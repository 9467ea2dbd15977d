import type { ShoalError } from '../core/errors.js'
import type { Snapnode } from '../core/snapnode.js'
import type { ChunkRun, ReplicationMessage } from '../protocol/volume-messages.js'
import type { RunAlignment } from './run-alignment.js'
import { ProgressMeter } from './transfer-progress.js'

export interface SendResult {
  snapnode: Snapnode
  /** Node that acknowledged the commit (now recorded as a holder). */
  holder: string
  /** Frame bytes this sender put on the link for this snapshot (pushed ahead, offer, chunks). */
  bytesSent: number
  /** Chunks and manifest pieces sent, pushed ahead or asked for. */
  chunksSent: number
  durationMs: number
}

export interface RunState {
  run: ChunkRun
  alignment: Promise<RunAlignment | null> | null
}

/** Chunks on their way to the link: asked for in a transfer, or pushed ahead of one. */
export interface Sending {
  pieces: Map<string, Uint8Array>
  queue: string[]
  /** Runs (see chunk-runs.ts) by the hashes of their new chunks: those go as patches. */
  runs: Map<string, { run: RunState; index: number }>
  meter: ProgressMeter
  bytesSent: number
  started: number
  settled: boolean
}

/** A snapshot offered on the link, until the receiver acknowledges it or the send fails. */
export interface Outgoing extends Sending {
  id: string
  snapnode: Snapnode
  resolve: (r: SendResult) => void
  reject: (e: ShoalError) => void
  totals: Map<string, number>
  /** What was pushed ahead of the offer. */
  pushed: { bytes: number; chunks: number }
}

/** Marks the new chunks of `run` to go as patches on it; a chunk already in a run stays in that one. */
export function addRun(runs: Sending['runs'], run: ChunkRun): void {
  const state: RunState = { run, alignment: null }
  run.chunks.forEach((h, index) => {
    if (!runs.has(h)) runs.set(h, { run: state, index })
  })
}

export function newOutgoing(id: string, snapnode: Snapnode, pieces: ReadonlyArray<{ hash: string; data: Uint8Array }>, resolve: Outgoing['resolve'], reject: Outgoing['reject'], pushed: Outgoing['pushed']): Outgoing {
  return {
    id,
    snapnode,
    pieces: new Map(pieces.map((p) => [p.hash, p.data])),
    queue: [],
    runs: new Map(),
    meter: new ProgressMeter(id),
    bytesSent: 0,
    started: Date.now(),
    resolve,
    reject,
    settled: false,
    totals: new Map(),
    pushed
  }
}

/** Queues what a want frame asks for (with `patches`, its runs go as patches). */
export function takeWant(out: Outgoing, msg: Extract<ReplicationMessage, { type: 'want' }>, patches: boolean): void {
  // `total` is per phase (manifest pieces, then chunks); keep the largest seen per phase.
  const phase = out.pieces.has(msg.hashes[0] ?? '') ? 'manifest' : 'chunks'
  out.totals.set(phase, Math.max(out.totals.get(phase) ?? 0, msg.total))
  out.meter.totalChunks = [...out.totals.values()].reduce((a, b) => a + b, 0)
  out.queue.push(...msg.hashes)
  if (msg.runs !== undefined && patches) for (const run of msg.runs) addRun(out.runs, run)
}
