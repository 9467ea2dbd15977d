import { createHash } from 'node:crypto'
import { ShoalError } from '../core/errors.js'

/**
 * A pack file holds many chunks back to back, so a snapshot or a transfer costs one file and
 * one fsync instead of one per chunk:
 *
 *   "SHOALPK1" | chunk bytes … | index: entry × count | footer
 *   entry  = hash (32) | offset (u48 BE) | length (u32 BE) | storedAt seconds (u32 BE)
 *   footer = count (u32 BE) | sha256(index) (32) | "SHOALIX1"
 *
 * A pack is written whole beside its final name, fsynced, then renamed: a pack under its final
 * name is complete. The footer's checksum still catches a damaged index on disk.
 */
export const PACK_MAGIC = Buffer.from('SHOALPK1')
const FOOTER_MAGIC = Buffer.from('SHOALIX1')
const ENTRY_BYTES = 32 + 6 + 4 + 4
export const FOOTER_BYTES = 4 + 32 + FOOTER_MAGIC.length
/** The largest offset a u48 holds: packs stay far below it. */
const MAX_OFFSET = 2 ** 48 - 1

export interface PackEntry {
  hash: string
  /** Position of the chunk's first byte in the file. */
  offset: number
  length: number
  /** When the chunk first entered this store (ms since the epoch, kept to the second). */
  storedAt: number
}

/** The index and footer that close a pack whose chunk bytes are already written. */
export function encodeTrailer(entries: readonly PackEntry[]): Buffer {
  const index = Buffer.allocUnsafe(entries.length * ENTRY_BYTES)
  let at = 0
  for (const e of entries) {
    if (index.write(e.hash, at, 32, 'hex') !== 32) throw new ShoalError('BAD_CHUNK', `not a chunk hash: ${e.hash.slice(0, 80)}`)
    index.writeUIntBE(e.offset, at + 32, 6)
    index.writeUInt32BE(e.length, at + 38)
    index.writeUInt32BE(Math.floor(e.storedAt / 1000), at + 42)
    at += ENTRY_BYTES
  }
  const footer = Buffer.allocUnsafe(FOOTER_BYTES)
  footer.writeUInt32BE(entries.length, 0)
  createHash('sha256').update(index).digest().copy(footer, 4)
  FOOTER_MAGIC.copy(footer, 36)
  return Buffer.concat([index, footer])
}

/**
 * Reads a pack's index through `readAt` (positioned reads of a file of `size` bytes). Throws
 * BAD_CHUNK, naming what is wrong, for a file that is not a complete, intact pack.
 */
export async function decodeTrailer(size: number, readAt: (position: number, length: number) => Promise<Buffer>): Promise<PackEntry[]> {
  const bad = (why: string) => new ShoalError('BAD_CHUNK', `damaged pack file: ${why}`)
  if (size < PACK_MAGIC.length + FOOTER_BYTES) throw bad(`only ${size} bytes`)
  const head = await readAt(0, PACK_MAGIC.length)
  if (!head.equals(PACK_MAGIC)) throw bad('wrong header')
  const footer = await readAt(size - FOOTER_BYTES, FOOTER_BYTES)
  if (!footer.subarray(36).equals(FOOTER_MAGIC)) throw bad('no footer (written partly?)')
  const count = footer.readUInt32BE(0)
  const indexStart = size - FOOTER_BYTES - count * ENTRY_BYTES
  if (indexStart < PACK_MAGIC.length) throw bad(`index of ${count} entries does not fit`)
  const index = await readAt(indexStart, count * ENTRY_BYTES)
  if (!createHash('sha256').update(index).digest().equals(footer.subarray(4, 36))) throw bad('index checksum mismatch')
  const entries: PackEntry[] = []
  for (let at = 0; at < index.length; at += ENTRY_BYTES) {
    const offset = index.readUIntBE(at + 32, 6)
    const length = index.readUInt32BE(at + 38)
    if (offset < PACK_MAGIC.length || offset + length > indexStart || offset > MAX_OFFSET) throw bad(`entry ${at / ENTRY_BYTES} points outside the data`)
    entries.push({ hash: index.toString('hex', at, at + 32), offset, length, storedAt: index.readUInt32BE(at + 42) * 1000 })
  }
  return entries
}
