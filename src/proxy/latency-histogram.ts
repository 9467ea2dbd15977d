/** Smallest and largest latencies the histogram tells apart, in ms. */
export const MIN_MS = 0.01
export const MAX_MS = 120_000
/** Relative width of one bucket: values are known to within ~5 %. */
export const GROWTH = 1.05

const LOG_GROWTH = Math.log(GROWTH)
export const BUCKETS = Math.ceil(Math.log(MAX_MS / MIN_MS) / LOG_GROWTH) + 1

/**
 * A fixed-size log-scale histogram of latencies: O(1) to record, mergeable, percentiles to
 * within one bucket. Memory does not grow with traffic.
 */
export class LatencyHistogram {
  readonly counts = new Uint32Array(BUCKETS)
  total = 0

  record(ms: number): void {
    this.counts[bucketOf(ms)]++
    this.total++
  }

  add(other: LatencyHistogram): void {
    for (let i = 0; i < BUCKETS; i++) this.counts[i] += other.counts[i]
    this.total += other.total
  }

  clear(): void {
    this.counts.fill(0)
    this.total = 0
  }

  /** The q-quantile (0..1) in ms, the upper edge of its bucket; 0 when empty. */
  quantile(q: number): number {
    if (this.total === 0) return 0
    const rank = Math.max(1, Math.ceil(q * this.total))
    let seen = 0
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]
      if (seen >= rank) return upperEdge(i)
    }
    return MAX_MS
  }
}

function bucketOf(ms: number): number {
  if (!(ms > MIN_MS)) return 0
  if (ms >= MAX_MS) return BUCKETS - 1
  return Math.min(BUCKETS - 1, Math.ceil(Math.log(ms / MIN_MS) / LOG_GROWTH))
}

function upperEdge(i: number): number {
  return MIN_MS * Math.pow(GROWTH, i)
}
