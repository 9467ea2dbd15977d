import { close, fdatasync, open, unlink, writev } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { ShoalError } from '../core/errors.js'
import { tmpPathBeside } from './fs-atomic.js'
import { PACK_MAGIC } from './pack-file.js'

const openCb = promisify(open)
const closeCb = promisify(close)
const fdatasyncCb = promisify(fdatasync)
const unlinkCb = promisify(unlink)
const writevCb = promisify(writev)

/**
 * A pack file being written, possibly while its chunks still gather in memory: each batch goes
 * out (through the thread pool) as it is handed over, so sealing the pack writes only the rest,
 * the trailer and the fsync. Writing into the page cache costs about as much as the copy itself
 * here, and a snapshot or transfer has better things to do with the main thread at the end. The
 * file has a temporary name in the pack folder (swept at startup after a crash) until renamed.
 */
export class PackWriter {
  /** Where the file is written; rename it onto the pack's name after `finish`. */
  readonly tmp: string
  /** Bytes handed over so far (the file's length once every write is done). */
  size = PACK_MAGIC.length
  private fd: number | null = null
  private writes: Promise<void>
  /** fdatasyncs started after batches were written (see append). Never rejects. */
  private syncing: Promise<void> = Promise.resolve()

  /** `dir`: the pack folder. */
  constructor(dir: string) {
    this.tmp = tmpPathBeside(join(dir, 'pack'))
    this.writes = openCb(this.tmp, 'w', 0o644).then((fd) => {
      this.fd = fd
      return writeAll(fd, [PACK_MAGIC], 0)
    })
    this.writes.catch(() => undefined) // surfaces in finish()
  }

  /**
   * Queues `parts` to be written next, back to back. Once written they are flushed to disk in
   * the background, so the fsync that seals the pack has only the last batch left to wait for.
   */
  append(parts: readonly Buffer[]): void {
    this.enqueue(parts)
    const written = this.writes
    const synced = written.then(() => fdatasyncCb(this.fd!))
    // A failure here shows again in finish()'s own fdatasync.
    this.syncing = Promise.all([this.syncing, synced.catch(() => undefined)]).then(() => undefined)
  }

  /** Writes the last parts, makes the file durable and closes it. Rejects if any write failed. */
  async finish(parts: readonly Buffer[]): Promise<void> {
    this.enqueue(parts)
    await this.writes
    await this.syncing
    await fdatasyncCb(this.fd!)
    const fd = this.fd!
    this.fd = null
    await closeCb(fd)
  }

  private enqueue(parts: readonly Buffer[]): void {
    const at = this.size
    for (const p of parts) this.size += p.length
    this.writes = this.writes.then(() => writeAll(this.fd!, parts, at))
    this.writes.catch(() => undefined) // surfaces in finish()
  }

  /** Closes and removes the file (after a failure, or when nothing is left to keep). Never rejects. */
  async discard(): Promise<void> {
    await this.writes.catch(() => undefined)
    await this.syncing
    if (this.fd !== null) await closeCb(this.fd).catch(() => undefined)
    this.fd = null
    await unlinkCb(this.tmp).catch(() => undefined)
  }
}

async function writeAll(fd: number, parts: readonly Buffer[], position: number): Promise<void> {
  let want = 0
  for (const p of parts) want += p.length
  const { bytesWritten: written } = await writevCb(fd, parts as Buffer[], position)
  if (written !== want) throw new ShoalError('INTERNAL', `short write to a pack file (${written} of ${want} bytes)`)
}
