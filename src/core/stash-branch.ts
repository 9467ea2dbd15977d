import type { Snapnode } from './snapnode.js'

/**
 * The snapshots of a master's term that the winner of a later (or the same) epoch lacks: the
 * chain from `head` back through parents, stopping at the first snapshot that is not this
 * node's own from `epoch` (the term started from it, so the cluster's lineage has it) or, for a
 * winner of a later epoch, that the winner is known to hold (it started its term from its newest
 * such snapshot, so everything up to it is on its lineage). A winner of the same epoch (two
 * claims of one epoch) started from the term before: holding this term's snapshots (pushed to it
 * while both served) puts none of them in its live data, so the loser keeps its whole term.
 * Newest first; empty when a later winner already holds the head.
 */
export function divergentBranch(
  nodes: ReadonlyMap<string, Pick<Snapnode, 'id' | 'parent' | 'origin' | 'epoch' | 'holders'>>,
  head: string | null,
  term: { origin: string; epoch: number; winner: string; winnerEpoch: number }
): string[] {
  const out: string[] = []
  const seen = new Set<string>()
  const trustHolders = term.winnerEpoch > term.epoch
  let cur = head
  while (cur !== null && !seen.has(cur)) {
    seen.add(cur)
    const n = nodes.get(cur)
    if (n === undefined || n.origin !== term.origin || n.epoch !== term.epoch || (trustHolders && n.holders.includes(term.winner))) break
    out.push(n.id)
    cur = n.parent
  }
  return out
}

/** The newest of this node's snapshots of a term, or else the newest from before it (its base). */
export function termHead(nodes: Iterable<Pick<Snapnode, 'id' | 'origin' | 'epoch' | 'seq' | 'time'>>, origin: string, epoch: number): string | null {
  let own: { id: string; seq: number; time: number } | null = null
  let base: { id: string; epoch: number; seq: number; time: number } | null = null
  for (const n of nodes) {
    if (n.origin === origin && n.epoch === epoch) {
      if (own === null || n.seq > own.seq || (n.seq === own.seq && n.time > own.time)) own = n
    } else if (n.epoch < epoch) {
      if (base === null || n.epoch > base.epoch || (n.epoch === base.epoch && (n.seq > base.seq || (n.seq === base.seq && n.time > base.time)))) base = n
    }
  }
  return own?.id ?? base?.id ?? null
}

/**
 * A readable, unique stash name: `<app>-e<epoch>-<node>-<yyyymmddhhmmss>` (UTC), within the
 * store's name rules ([A-Za-z0-9._-], at most 100 characters).
 */
export function stashName(app: string, epoch: number, nodeName: string, at: Date): string {
  const stamp = at.toISOString().replace(/[-:T]/g, '').slice(0, 14)
  const head = `${app}-e${epoch}-`.slice(0, 100 - 1 - stamp.length - 5)
  const room = Math.max(4, Math.min(24, 100 - head.length - 1 - stamp.length))
  const node = nodeName.replace(/[^A-Za-z0-9._-]/g, '-').replace(/^[^A-Za-z0-9]+/, '').slice(0, room) || 'node'
  return `${head}${node}-${stamp}`
}

/** The time a stash name carries (ms), or null for a name not made by stashName. */
export function stashTime(name: string): number | null {
  const m = /-(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(name)
  if (m === null) return null
  const t = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]))
  return Number.isFinite(t) ? t : null
}
