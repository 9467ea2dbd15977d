import { rename } from 'node:fs/promises'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { fsyncDir } from './fs-atomic.js'
import { PACK_MAGIC, encodeTrailer, type PackEntry } from './pack-file.js'
import { Pack, type Building, type ChunkLocation } from './pack-building.js'
import { PackWriter } from './pack-writer.js'

/**
 * Writes `b` as a pack in `packDir`: beside its name, fsync, rename, fsync of the folder. Only
 * chunks `index` still places in `b` (or in the pack a compaction moves them from) go in; once
 * the pack is in place, their index entries point to it and it joins `packs`. Returns null when
 * none was left to write. On failure nothing of `b` stays in `index`.
 */
export async function sealPack(b: Building, packDir: string, index: Map<string, ChunkLocation>, packs: Set<Pack>): Promise<Pack | null> {
  const entries: PackEntry[] = []
  const froms: Array<Pack | null> = []
  // What is still to write: what came after the part written ahead (if any).
  const rest: Buffer[] = []
  let size = PACK_MAGIC.length
  for (const [i, e] of b.entries.entries()) {
    const at = index.get(e.hash)
    const live = at !== undefined && (at.home === b || at.home === e.from) // else deleted meanwhile
    const written = i < b.writtenEntries
    if (!live && !written) continue
    if (live) {
      entries.push({ hash: e.hash, offset: size, length: e.data.length, storedAt: e.storedAt })
      froms.push(e.from)
    }
    if (!written) rest.push(e.data)
    size += e.data.length
  }
  if (entries.length === 0) {
    await b.writer?.discard()
    return null
  }
  const name = `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}.pack`
  const path = join(packDir, name)
  const file = b.writer ?? new PackWriter(packDir)
  try {
    const trailer = encodeTrailer(entries)
    rest.push(trailer)
    size += trailer.length
    await file.finish(rest)
    await rename(file.tmp, path)
    await fsyncDir(packDir)
  } catch (err) {
    await file.discard()
    // Nothing of `b` is stored: forget it, so the next snapshot or transfer brings it again.
    for (const e of b.entries) if (index.get(e.hash)?.home === b) index.delete(e.hash)
    throw err
  }
  const pack = new Pack(name, path, size, entries.length)
  packs.add(pack)
  for (const [i, e] of entries.entries()) {
    const at = index.get(e.hash)
    if (at === undefined || (at.home !== b && at.home !== froms[i])) {
      pack.live--
      continue
    }
    if (at.home instanceof Pack) at.home.live--
    at.home = pack
    at.offset = e.offset
    at.data = null
  }
  return pack
}
