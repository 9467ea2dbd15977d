import { ShoalError } from './errors.js'
import type { AppSpec } from './app-types.js'
import type { NodeId } from './types.js'
import type { MemberTable } from './member-table.js'
import type { AppTable } from './app-table.js'

/** What placement needs to know of a live node. */
export interface PlacementCandidate {
  id: NodeId
  name: string
  zone: string
  /** Relative weight of the machine (1 = ordinary). */
  capacity: number
  /** Busy CPU fraction 0..1. */
  cpu: number
  /** Apps this node is master of already. */
  masters: number
  /** Apps this node holds a replica of. */
  replicas: number
}

/** How much one more master or replica weighs against a node, in CPU-fraction units. */
const MASTER_WEIGHT = 0.1
const REPLICA_WEIGHT = 0.03

/** A node's load relative to its capacity: lower is a better home. */
export function placementLoad(c: PlacementCandidate): number {
  return (c.cpu + c.masters * MASTER_WEIGHT + c.replicas * REPLICA_WEIGHT) / Math.max(c.capacity, 0.01)
}

function byLoadThenId(a: PlacementCandidate, b: PlacementCandidate): number {
  return placementLoad(a) - placementLoad(b) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
}

/**
 * The initial home of a new app: deterministic for the same inputs. The master is the pinned
 * node if any, else the least loaded node of the preferred zone (else of any zone); replicas
 * then go to the least loaded nodes, spreading over zones not used yet before doubling up.
 */
export function placeApp(spec: Pick<AppSpec, 'name' | 'replicas' | 'zone' | 'pin'>, candidates: PlacementCandidate[]): { master: NodeId; replicas: NodeId[] } {
  if (spec.replicas < 1) throw new ShoalError('BAD_SPEC', 'an app needs at least 1 copy (--replicas counts the master)')
  if (spec.replicas > candidates.length) {
    throw new ShoalError('BAD_SPEC', `${spec.name} asks for ${spec.replicas} copies but only ${candidates.length} node${candidates.length === 1 ? ' is' : 's are'} alive`)
  }
  const pool = [...candidates].sort(byLoadThenId)
  let master: PlacementCandidate | undefined
  if (spec.pin !== '') {
    master = pool.find((c) => c.id === spec.pin)
    if (master === undefined) throw new ShoalError('UNKNOWN_NODE', `${spec.name} is pinned to a node that is not alive`)
  } else {
    master = (spec.zone !== '' ? pool.find((c) => c.zone === spec.zone) : undefined) ?? pool[0]!
  }
  const chosen = [master]
  const zones = new Set([master.zone])
  while (chosen.length < spec.replicas) {
    const rest = pool.filter((c) => !chosen.includes(c))
    const next = rest.find((c) => !zones.has(c.zone)) ?? rest[0]!
    chosen.push(next)
    zones.add(next.zone)
  }
  return { master: master.id, replicas: chosen.slice(1).map((c) => c.id) }
}

/**
 * A replacement replica when one is lost or the app is scaled up: the least loaded node not yet
 * holding the app, preferring a zone the app does not use yet. Null when none is left.
 */
export function pickReplica(holding: PlacementCandidate[], candidates: PlacementCandidate[]): NodeId | null {
  const ids = new Set(holding.map((h) => h.id))
  const zones = new Set(holding.map((h) => h.zone))
  const rest = candidates.filter((c) => !ids.has(c.id)).sort(byLoadThenId)
  return (rest.find((c) => !zones.has(c.zone)) ?? rest[0])?.id ?? null
}

/**
 * The replicas an app should have: the `current` ones still in the cluster, topped up with
 * pickReplica() to `want` (the master `self` counts as holding the app) or cut down to it.
 */
export function replicaSet(current: readonly NodeId[], want: number, self: NodeId, candidates: PlacementCandidate[], gone: (id: NodeId) => boolean): NodeId[] {
  let replicas = current.filter((r) => !gone(r))
  const holding = candidates.filter((c) => c.id === self || replicas.includes(c.id))
  while (replicas.length < want) {
    const next = pickReplica(holding, candidates)
    if (next === null) break
    replicas.push(next)
    holding.push(candidates.find((c) => c.id === next)!)
  }
  if (replicas.length > want) replicas = replicas.slice(0, Math.max(want, 0))
  return replicas
}

/** Every live member as a placement candidate, with the masters and replicas it already holds. */
export function placementCandidates(table: MemberTable, apps: AppTable): PlacementCandidate[] {
  const out: PlacementCandidate[] = []
  for (const [id, m] of table.members) {
    if (m.record === null || table.status(id) !== 'alive') continue
    let masters = 0
    let replicas = 0
    for (const p of apps.placements.values()) {
      if (apps.specs.get(p.app)?.deleted) continue
      if (p.master === id) masters++
      else if (p.replicas.includes(id)) replicas++
    }
    out.push({ id, name: m.record.name, zone: m.record.zone, capacity: m.record.capacity, cpu: m.record.load.cpu, masters, replicas })
  }
  return out
}
