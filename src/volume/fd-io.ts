import { close, closeSync, constants, fstat, fstatSync, open, openSync, read, type Stats } from 'node:fs'
import { promisify } from 'node:util'

// File-descriptor I/O through the callback API: on Node 20 each call costs noticeably less than
// the FileHandle methods of node:fs/promises, which matters when a sync touches many files.
export const fdOpen = promisify(open)
export const fdClose = promisify(close)
export const fdStat: (fd: number) => Promise<Stats> = promisify(fstat)
const readCb = promisify(read)

/** Reads up to `length` bytes into `buf` at `offset`, from `position` (null: current position). */
async function fdRead(fd: number, buf: Buffer, offset: number, length: number, position: number | null): Promise<number> {
  return (await readCb(fd, buf, offset, length, position)).bytesRead
}

/** A positioned read of `length` bytes into a new buffer (shorter only at the end of the file). */
export async function fdReadExactly(fd: number, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(length)
  let got = 0
  while (got < length) {
    const n = await fdRead(fd, buf, got, length - got, position + got)
    if (n === 0) break
    got += n
  }
  return got === length ? buf : buf.subarray(0, got)
}

/** Never follow a symlink put where a regular file was, never wait for a FIFO's writer. */
const READ_REGULAR = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK

/**
 * Opens `path` for reading, synchronously, only if it is still a regular file: a symlink put in
 * its place is not followed, and a FIFO or device opens at once (a plain open of a FIFO waits
 * for a writer, holding the event loop) and is refused. Returns the descriptor and its stat, or
 * null when the path is no longer a regular file; other failures (ENOENT, EACCES) throw.
 */
export function openRegularSync(path: string): { fd: number; st: Stats } | null {
  let fd: number
  try {
    fd = openSync(path, READ_REGULAR)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ELOOP') return null
    throw err
  }
  const st = fstatSync(fd)
  if (st.isFile()) return { fd, st }
  closeSync(fd)
  return null
}
