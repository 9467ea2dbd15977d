import { Worker } from 'node:worker_threads'
import { CHUNK_HASH, chunkHash } from './chunk-hash.js'
import { CHUNKER_SOURCE, cutPoints, type ChunkerParams } from './chunker.js'

/** Below this many bytes a batch is hashed here: a round trip to the worker costs more. */
export const WORKER_MIN_BYTES = 256 * 1024

// The worker's whole program (inline, so it runs the same from the sources and from dist):
// chunkHash, and the chunker's own cutPoints (its source, see CHUNKER_SOURCE).
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads')
const { createHash } = require('node:crypto')
${CHUNKER_SOURCE}
parentPort.on('message', ({ id, shared, at, length, bounds, cut }) => {
  const data = new Uint8Array(shared, at, length)
  if (cut) bounds = cutPoints(data, 0, length, cut.final, cut.params)
  const hashes = []
  for (let i = 0; i + 1 < bounds.length; i++) {
    hashes.push(createHash('${CHUNK_HASH}').update(data.subarray(bounds[i], bounds[i + 1])).digest('hex'))
  }
  parentPort.postMessage({ id, hashes, bounds })
})
`

interface Pending {
  resolve(r: { hashes: string[]; bounds: number[] }): void
  data: Uint8Array
  bounds: readonly number[] | null
  cut: { final: boolean; params: ChunkerParams } | null
}

/**
 * Hashes batches of chunks (chunkHash) on a worker thread, so that while one file's chunks are
 * hashed there, the main thread reads and cuts the next: a snapshot's two CPU-bound steps run on
 * two cores. The bytes are shared with the worker, not copied: they must sit in a buffer over a
 * SharedArrayBuffer (see `sharedBuffer`) and stay unchanged until the hashes come back. Small
 * batches, and every batch once the worker has failed, are hashed on the calling thread.
 */
export class ChunkHasher {
  /** Batches hashed on the worker so far (observation and tests). */
  onWorker = 0
  private worker: Worker | null = null
  private failed = false
  private next = 0
  private readonly pending = new Map<number, Pending>()

  /** A buffer whose bytes the worker can read in place. */
  static sharedBuffer(size: number): Buffer {
    return Buffer.from(new SharedArrayBuffer(size))
  }

  /**
   * The hashes of the chunks data[bounds[i], bounds[i + 1]), in order. `data` must lie in a
   * shared buffer for the work to go to the worker.
   */
  hash(data: Uint8Array, bounds: readonly number[]): Promise<string[]> {
    const bytes = bounds.length > 1 ? bounds[bounds.length - 1]! - bounds[0]! : 0
    if (bytes < WORKER_MIN_BYTES || !this.canShare(data)) return Promise.resolve(hashHere(data, bounds))
    return this.post(data, bounds, null).then((r) => r.hashes)
  }

  /**
   * Cuts `data` into chunks (cutPoints with `final` and `params`: the bounds, from 0) and hashes
   * them, both on the worker when `data` is large and shared: the thread that read it goes on
   * reading meanwhile.
   */
  cutAndHash(data: Uint8Array, final: boolean, params: ChunkerParams): Promise<{ bounds: number[]; hashes: string[] }> {
    if (data.byteLength < WORKER_MIN_BYTES || !this.canShare(data)) return Promise.resolve(cutAndHashHere(data, { final, params }))
    return this.post(data, null, { final, params })
  }

  private canShare(data: Uint8Array): boolean {
    return data.buffer instanceof SharedArrayBuffer && !this.failed && this.start() !== null
  }

  private post(data: Uint8Array, bounds: readonly number[] | null, cut: Pending['cut']): Promise<{ hashes: string[]; bounds: number[] }> {
    const worker = this.worker!
    const id = this.next++
    return new Promise((resolve) => {
      this.pending.set(id, { resolve, data, bounds, cut })
      if (this.pending.size === 1) worker.ref()
      worker.postMessage({ id, shared: data.buffer, at: data.byteOffset, length: data.byteLength, bounds, cut })
    })
  }

  private start(): Worker | null {
    if (this.worker !== null) return this.worker
    try {
      const worker = new Worker(WORKER_SOURCE, { eval: true })
      worker.unref() // held only while a batch is out (see hash)
      worker.on('message', (m: { id: number; hashes: string[]; bounds: number[] }) => {
        const p = this.pending.get(m.id)
        if (p === undefined) return
        this.pending.delete(m.id)
        if (this.pending.size === 0) worker.unref()
        this.onWorker++
        p.resolve({ hashes: m.hashes, bounds: m.bounds })
      })
      worker.on('error', () => this.fail())
      worker.on('exit', () => this.fail())
      this.worker = worker
      return worker
    } catch {
      this.failed = true
      return null
    }
  }

  /** The worker is gone: what it held is hashed here, and so is everything from now on. */
  private fail(): void {
    this.failed = true
    this.worker = null
    for (const [id, p] of this.pending) {
      this.pending.delete(id)
      p.resolve(p.cut !== null ? cutAndHashHere(p.data, p.cut) : { hashes: hashHere(p.data, p.bounds!), bounds: [...p.bounds!] })
    }
  }
}

function cutAndHashHere(data: Uint8Array, cut: { final: boolean; params: ChunkerParams }): { bounds: number[]; hashes: string[] } {
  const bounds = cutPoints(data, 0, data.byteLength, cut.final, cut.params)
  return { bounds, hashes: hashHere(data, bounds) }
}

function hashHere(data: Uint8Array, bounds: readonly number[]): string[] {
  const out: string[] = []
  for (let i = 0; i + 1 < bounds.length; i++) out.push(chunkHash(data.subarray(bounds[i], bounds[i + 1])))
  return out
}

/** The process's hasher, shared by every snapshotter (one worker thread, started on first use). */
export const chunkHasher = new ChunkHasher()
