import { readFile, rename, stat, writeFile } from 'node:fs'
import { mkdir, readdir, unlink } from 'node:fs/promises'
import { promisify } from 'node:util'
import { join } from 'node:path'
import { ShoalError } from '../core/errors.js'
import { chunkHash } from './chunk-hash.js'
import { TMP_PREFIX, fsyncDir, fsyncFile, tmpPathBeside } from './fs-atomic.js'

/** How many fsyncs run at once when making a batch of chunks durable. */
export const SYNC_CONCURRENCY = 64

// The callback forms: on Node 20 they cost far less per call than node:fs/promises (no
// FileHandle per open), which matters at one file per chunk.
const readFileCb = promisify(readFile)
const writeFileCb = promisify(writeFile)
const renameCb = promisify(rename)
const statCb = promisify(stat)

/** Hashes remembered as present (saves a stat per lookup); the memory is dropped past this. */
export const KNOWN_CACHE_MAX = 1_000_000

const HEX64 = /^[0-9a-f]{64}$/

/**
 * Content-addressed chunks in `<dir>/ab/cdef…`, each stored once. A chunk appears under its
 * name only complete (tmp + rename), so a crash at any moment leaves at worst a temporary file,
 * removed by `open()`. Writes are not fsynced one by one (that would cap throughput at the
 * disk's fsync rate); `sync(hashes)` makes a batch durable and must run before a snapshot that
 * references them is committed.
 */
export class ChunkStore {
  readonly dir: string
  private readonly dirsMade = new Set<string>()
  /** Hashes known to be stored, with their sizes. */
  private readonly known = new Map<string, number>()

  constructor(dir: string) {
    this.dir = dir
  }

  /** Creates the folder and removes temporary files left by a crash. Idempotent. */
  async open(): Promise<void> {
    await mkdir(this.dir, { recursive: true })
    for (const sub of await readdir(this.dir)) {
      if (sub.startsWith(TMP_PREFIX)) {
        await unlink(join(this.dir, sub)).catch(() => undefined)
        continue
      }
      if (sub.length !== 2) continue
      for (const name of await readdir(join(this.dir, sub))) {
        if (name.startsWith(TMP_PREFIX)) await unlink(join(this.dir, sub, name)).catch(() => undefined)
      }
    }
  }

  pathOf(hash: string): string {
    return join(this.dir, hash.slice(0, 2), hash.slice(2))
  }

  async has(hash: string): Promise<boolean> {
    if (this.known.has(hash)) return true
    try {
      this.remember(hash, (await statCb(this.pathOf(hash))).size)
      return true
    } catch {
      return false
    }
  }

  /**
   * Stores `data` under `hash` unless already present. The caller vouches that `hash` is
   * chunkHash(data) (use `putVerified` for untrusted data). Returns true if it was new.
   */
  async put(hash: string, data: Uint8Array, opts: { knownMissing?: boolean } = {}): Promise<boolean> {
    if (!HEX64.test(hash)) throw new ShoalError('BAD_CHUNK', `not a chunk hash: ${hash.slice(0, 80)}`)
    if (this.known.has(hash) || (!opts.knownMissing && (await this.has(hash)))) return false
    const sub = join(this.dir, hash.slice(0, 2))
    if (!this.dirsMade.has(sub)) {
      await mkdir(sub, { recursive: true })
      this.dirsMade.add(sub)
    }
    const path = this.pathOf(hash)
    const tmp = tmpPathBeside(path)
    try {
      await writeFileCb(tmp, data)
      await renameCb(tmp, path)
    } catch (err) {
      await unlink(tmp).catch(() => undefined)
      throw err
    }
    this.remember(hash, data.byteLength)
    return true
  }

  private remember(hash: string, size: number): void {
    if (this.known.size >= KNOWN_CACHE_MAX) this.known.clear()
    this.known.set(hash, size)
  }

  /**
   * Reads a chunk without checking its hash, for senders whose receiver verifies it anyway.
   * Throws NOT_FOUND when absent.
   */
  async read(hash: string): Promise<Buffer> {
    try {
      return await readFileCb(this.pathOf(hash))
    } catch (err) {
      throw new ShoalError('NOT_FOUND', `chunk ${hash.slice(0, 12)}… is not in the store`, { cause: err })
    }
  }

  /** Verifies the hash first; throws BAD_CHUNK (storing nothing) when it does not match. */
  async putVerified(hash: string, data: Uint8Array): Promise<boolean> {
    const actual = chunkHash(data)
    if (actual !== hash) throw new ShoalError('BAD_CHUNK', `chunk ${hash.slice(0, 12)}… does not match its content (${actual.slice(0, 12)}…)`)
    return this.put(hash, data)
  }

  /** Reads a chunk and checks its hash, so disk corruption is reported instead of copied. */
  async get(hash: string): Promise<Buffer> {
    let data: Buffer
    try {
      data = await readFileCb(this.pathOf(hash))
    } catch (err) {
      throw new ShoalError('NOT_FOUND', `chunk ${hash.slice(0, 12)}… is not in the store`, { cause: err })
    }
    if (chunkHash(data) !== hash) throw new ShoalError('BAD_CHUNK', `stored chunk ${hash.slice(0, 12)}… is corrupt`)
    return data
  }

  /** Size in bytes of a stored chunk, or undefined when it is not stored. */
  async size(hash: string): Promise<number | undefined> {
    const known = this.known.get(hash)
    if (known !== undefined) return known
    try {
      const size = (await statCb(this.pathOf(hash))).size
      this.remember(hash, size)
      return size
    } catch {
      return undefined
    }
  }

  /** Makes the given chunks and their folders durable (fsync). */
  async sync(hashes: Iterable<string>): Promise<void> {
    const list = [...new Set(hashes)]
    const dirs = new Set(list.map((h) => join(this.dir, h.slice(0, 2))))
    await runLimited(list, SYNC_CONCURRENCY, (h) => fsyncFile(this.pathOf(h)))
    await runLimited([...dirs], SYNC_CONCURRENCY, fsyncDir)
  }

  /** Every stored hash with its file's mtime (for garbage collection grace periods). */
  async *list(): AsyncGenerator<{ hash: string; mtimeMs: number }> {
    for (const sub of await readdir(this.dir)) {
      if (sub.length !== 2) continue
      for (const name of await readdir(join(this.dir, sub))) {
        if (name.startsWith(TMP_PREFIX)) continue
        const hash = sub + name
        if (!HEX64.test(hash)) continue
        try {
          const st = await statCb(join(this.dir, sub, name))
          yield { hash, mtimeMs: st.mtimeMs }
        } catch {
          // Removed concurrently.
        }
      }
    }
  }

  async delete(hash: string): Promise<void> {
    this.known.delete(hash)
    await unlink(this.pathOf(hash)).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err
    })
  }
}

/** Runs `fn` over `items` with at most `limit` in flight. */
export async function runLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++]!)
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
}
