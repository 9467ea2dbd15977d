import { close, fstat, open, read, type Stats } from 'node:fs'
import { promisify } from 'node:util'

// File-descriptor I/O through the callback API: on Node 20 each call costs noticeably less than
// the FileHandle methods of node:fs/promises, which matters when a sync touches many files.
export const fdOpen = promisify(open)
export const fdClose = promisify(close)
export const fdStat: (fd: number) => Promise<Stats> = promisify(fstat)
const readCb = promisify(read)

/** Reads up to `length` bytes into `buf` at `offset`, from `position` (null: current position). */
export async function fdRead(fd: number, buf: Buffer, offset: number, length: number, position: number | null): Promise<number> {
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
