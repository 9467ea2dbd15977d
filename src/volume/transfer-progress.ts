/** Progress of one snapshot transfer, as shown by the CLI and console. */
export interface ReplicationProgress {
  /** Snapshot id. */
  id: string
  /** manifest: fetching the manifest's pieces; chunks: fetching data; commit: verifying and committing. */
  phase: 'manifest' | 'chunks' | 'commit' | 'done'
  bytes: number
  chunks: number
  /** Estimated until every wanted chunk's size is known (average chunk size so far). */
  totalBytes: number
  totalChunks: number
  /** Bytes per second since the transfer started. */
  rate: number
  /** Estimated ms left, or null when the rate is not known yet. */
  etaMs: number | null
}

/** Counts bytes and chunks and derives rate and ETA. */
export class ProgressMeter {
  bytes = 0
  chunks = 0
  totalChunks = 0
  knownBytes: number | null = null
  private readonly started = Date.now()

  constructor(readonly id: string) {}

  add(bytes: number): void {
    this.bytes += bytes
    this.chunks++
  }

  snapshot(phase: ReplicationProgress['phase']): ReplicationProgress {
    const elapsed = Math.max(1, Date.now() - this.started)
    const rate = (this.bytes * 1000) / elapsed
    const avg = this.chunks > 0 ? this.bytes / this.chunks : 0
    const totalBytes = this.knownBytes ?? Math.max(this.bytes, Math.round(avg * this.totalChunks))
    const left = Math.max(0, totalBytes - this.bytes)
    return {
      id: this.id,
      phase,
      bytes: this.bytes,
      chunks: this.chunks,
      totalBytes,
      totalChunks: Math.max(this.totalChunks, this.chunks),
      rate,
      etaMs: phase === 'done' ? 0 : rate > 0 ? Math.round((left * 1000) / rate) : null
    }
  }
}
