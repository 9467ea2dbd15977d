import { readSync } from 'node:fs'
import { unlink } from 'node:fs/promises'
import { ShoalError } from '../core/errors.js'
import { fdReadExactly } from './fd-io.js'
import type { ChunkLocation, Pack } from './pack-building.js'
import type { OpenPacks } from './open-packs.js'

/**
 * Reading runs of chunks that lie back to back in a sealed pack, one read per run. Each read
 * counts as a reader of its pack, so a pack retired by compaction is removed only after its
 * last read ends.
 */

/**
 * The chunks hashes[i…] lying back to back in the pack of hashes[i] (`first`, which always
 * counts), `maxBytes` at most: their lengths.
 */
export function span(index: Map<string, ChunkLocation>, hashes: readonly string[], i: number, first: ChunkLocation, maxBytes: number): { lengths: number[] } {
  const lengths = [first.length]
  let end = first.offset + first.length
  for (let k = i + 1; k < hashes.length; k++) {
    const next = index.get(hashes[k]!)
    if (next === undefined || next.home !== first.home || next.data !== null || next.offset !== end) break
    if (end + next.length - first.offset > maxBytes) break
    end += next.length
    lengths.push(next.length)
  }
  return { lengths }
}

/** Reads `lengths` (chunks back to back from `offset` in `pack`) into out[from…]. */
export async function readSpan(openPacks: OpenPacks, pack: Pack, offset: number, lengths: number[], from: number, out: Buffer[]): Promise<void> {
  const length = lengths.reduce((n, l) => n + l, 0)
  pack.readers++
  try {
    const data = await fdReadExactly(await openPacks.fd(pack), offset, length)
    if (data.length !== length) throw new ShoalError('BAD_CHUNK', `stored chunks are cut short in ${pack.name}`)
    let at = 0
    for (const [k, len] of lengths.entries()) {
      out[from + k] = data.subarray(at, at + len)
      at += len
    }
  } finally {
    doneReading(openPacks, pack)
  }
}

/** Reads `length` bytes from `offset` in `pack` synchronously into `into` at `at`. */
export function readSpanSync(openPacks: OpenPacks, pack: Pack, offset: number, length: number, into: Buffer, at: number): void {
  pack.readers++
  try {
    const fd = openPacks.fdSync(pack)
    for (let got = 0; got < length; ) {
      const n = readSync(fd, into, at + got, length - got, offset + got)
      if (n === 0) throw new ShoalError('BAD_CHUNK', `stored chunks are cut short in ${pack.name}`)
      got += n
    }
  } finally {
    doneReading(openPacks, pack)
  }
}

/** A read of `pack` ended: a retired pack goes once none is left. */
function doneReading(openPacks: OpenPacks, pack: Pack): void {
  pack.readers--
  if (pack.readers === 0 && pack.retired) void disposePack(openPacks, pack)
}

/** Closes and removes a retired pack (its chunks live elsewhere now). Never rejects. */
export function disposePack(openPacks: OpenPacks, pack: Pack): Promise<void> {
  openPacks.close(pack)
  return unlink(pack.path).catch(() => undefined)
}
