/**
 * Recent load per node, kept client-side from successive status polls (the node reports only
 * its current figures). Immutable updates so React sees a new value per poll.
 */
import type { NodeStatus } from '../control/types.js'

export const HISTORY_LENGTH = 60

export interface LoadSample {
  cpu: number
  mem: number
}

export type LoadHistory = ReadonlyMap<string, readonly LoadSample[]>

export function recordLoad(history: LoadHistory, nodes: readonly NodeStatus[], keep = HISTORY_LENGTH): LoadHistory {
  const next = new Map<string, readonly LoadSample[]>()
  for (const n of nodes) {
    const past = history.get(n.id) ?? []
    const samples = past.length >= keep ? past.slice(past.length - keep + 1) : [...past]
    samples.push({ cpu: n.cpu, mem: n.mem })
    next.set(n.id, samples)
  }
  return next
}
