import type { Snapnode } from './snapnode.js'

export const KEEP_ALL_MS = 60 * 60 * 1000
export const HOURLY_FOR_MS = 24 * 60 * 60 * 1000
export const BUCKET_MS = 60 * 60 * 1000

export interface RetentionPolicy {
  /** Everything newer than now − keepAllMs is kept. */
  keepAllMs: number
  /** Beyond that, the newest snapshot of each bucket is kept for this long. */
  hourlyForMs: number
  /** Bucket width for the thinned period (one hour by default). */
  bucketMs: number
}

export const DEFAULT_RETENTION: RetentionPolicy = { keepAllMs: KEEP_ALL_MS, hourlyForMs: HOURLY_FOR_MS, bucketMs: BUCKET_MS }

/**
 * Which snapshots to keep. Always kept, whatever their age: the newest snapshot (the head), each
 * id in `protected` (the newest snapshot shared with each peer, stashed snapshots, a checkout in
 * use). Everything else follows the policy. Returns the set of ids to keep; the caller deletes
 * the rest.
 */
export function selectRetained(
  nodes: readonly Pick<Snapnode, 'id' | 'time' | 'seq'>[],
  now: number,
  protectedIds: Iterable<string> = [],
  policy: Partial<RetentionPolicy> = {}
): Set<string> {
  const { keepAllMs, hourlyForMs, bucketMs } = { ...DEFAULT_RETENTION, ...policy }
  const keep = new Set<string>()
  const known = new Set(nodes.map((n) => n.id))
  for (const id of protectedIds) if (known.has(id)) keep.add(id)
  if (nodes.length === 0) return keep

  const newestFirst = [...nodes].sort((a, b) => b.time - a.time || b.seq - a.seq || (a.id < b.id ? -1 : 1))
  keep.add(newestFirst[0]!.id)
  const recentFrom = now - keepAllMs
  const thinnedFrom = recentFrom - hourlyForMs
  const bucketsTaken = new Set<number>()
  for (const n of newestFirst) {
    if (n.time >= recentFrom) keep.add(n.id)
    else if (n.time >= thinnedFrom) {
      const bucket = Math.floor(n.time / bucketMs)
      if (!bucketsTaken.has(bucket)) {
        bucketsTaken.add(bucket)
        keep.add(n.id)
      }
    }
  }
  return keep
}
