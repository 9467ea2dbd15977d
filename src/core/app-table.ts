import type { AppSpec, Placement } from './app-types.js'
import { compareHlc } from './hlc.js'

/** Deterministic merge rules for app specs and placements (pure; see app-types.ts). */
export function specIsNewer(a: AppSpec, b: AppSpec | undefined): boolean {
  if (b === undefined) return true
  const c = compareHlc(a.hlc, b.hlc)
  if (c !== 0) return c > 0
  return a.writer > b.writer
}

export function placementIsNewer(a: Placement, b: Placement | undefined): boolean {
  if (b === undefined) return true
  if (a.epoch !== b.epoch) return a.epoch > b.epoch
  if (a.master !== b.master) {
    // Two claims for one epoch: more data wins, then the lower node id.
    if (a.snapSeq !== b.snapSeq) return a.snapSeq > b.snapSeq
    return a.master < b.master
  }
  return a.rev > b.rev
}

export interface AppDigestEntry {
  name: string
  specWall: number
  specLogical: number
  specWriter: string
  epoch: number
  rev: number
  master: string
  snapSeq: number
}

export class AppTable {
  readonly specs = new Map<string, AppSpec>()
  readonly placements = new Map<string, Placement>()

  applySpec(s: AppSpec): boolean {
    if (!specIsNewer(s, this.specs.get(s.name))) return false
    this.specs.set(s.name, s)
    return true
  }

  applyPlacement(p: Placement): boolean {
    if (!placementIsNewer(p, this.placements.get(p.app))) return false
    this.placements.set(p.app, p)
    return true
  }

  /** Live (not deleted) specs, by name. */
  liveSpecs(): AppSpec[] {
    return [...this.specs.values()].filter((s) => !s.deleted).sort((a, b) => a.name.localeCompare(b.name))
  }

  digest(): AppDigestEntry[] {
    const names = new Set([...this.specs.keys(), ...this.placements.keys()])
    return [...names].sort().map((name) => {
      const s = this.specs.get(name)
      const p = this.placements.get(name)
      return {
        name,
        specWall: s?.hlc.wall ?? 0,
        specLogical: s?.hlc.logical ?? 0,
        specWriter: s?.writer ?? '',
        epoch: p?.epoch ?? 0,
        rev: p?.rev ?? 0,
        master: p?.master ?? '',
        snapSeq: p?.snapSeq ?? 0
      }
    })
  }

  /** What this table holds that a peer with digest `theirs` lacks, and whether it lacks something. */
  compare(theirs: AppDigestEntry[]): { specs: AppSpec[]; placements: Placement[]; peerHasNewer: boolean } {
    const specs: AppSpec[] = []
    const placements: Placement[] = []
    let peerHasNewer = false
    const seen = new Set<string>()
    for (const e of theirs) {
      seen.add(e.name)
      const s = this.specs.get(e.name)
      const theirSpec = e.specWriter === '' ? undefined : ({ hlc: { wall: e.specWall, logical: e.specLogical }, writer: e.specWriter } as AppSpec)
      if (s !== undefined && specIsNewer(s, theirSpec)) specs.push(s)
      else if (theirSpec !== undefined && specIsNewer(theirSpec, s)) peerHasNewer = true
      const p = this.placements.get(e.name)
      const theirPl = e.epoch === 0 ? undefined : ({ epoch: e.epoch, rev: e.rev, master: e.master, snapSeq: e.snapSeq } as Placement)
      if (p !== undefined && placementIsNewer(p, theirPl)) placements.push(p)
      else if (theirPl !== undefined && placementIsNewer(theirPl, p)) peerHasNewer = true
    }
    for (const [name, s] of this.specs) if (!seen.has(name)) specs.push(s)
    for (const [name, p] of this.placements) if (!seen.has(name)) placements.push(p)
    return { specs, placements, peerHasNewer }
  }
}
