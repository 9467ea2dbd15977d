import type { Stats } from 'node:fs'
import { mkdir, readdir, rename, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { ShoalError } from '../core/errors.js'
import { fdClose, fdOpen, fdReadExactly, fdStat } from './fd-io.js'
import { TMP_PREFIX } from './fs-atomic.js'
import { decodeTrailer, type PackEntry } from './pack-file.js'
import { Pack, type ChunkLocation } from './pack-building.js'

const PACK_NAME = /^[0-9a-z]+-[0-9a-f]{8}\.pack$/

/**
 * Rebuilds a chunk store's in-memory index from the packs' own indexes when it opens: creates
 * `packDir`, removes temporary files left by a crash, adds each pack to `packs` and its chunks
 * to `index`, and renames damaged packs aside (noted in `quarantined`).
 */
export async function recoverIndex(packDir: string, index: Map<string, ChunkLocation>, packs: Set<Pack>, quarantined: string[]): Promise<void> {
  await mkdir(packDir, { recursive: true })
  for (const name of (await readdir(packDir)).sort()) {
    if (name.startsWith(TMP_PREFIX)) await unlink(join(packDir, name)).catch(() => undefined)
    else if (PACK_NAME.test(name)) await loadPack(packDir, name, index, packs, quarantined)
  }
}

async function loadPack(packDir: string, name: string, index: Map<string, ChunkLocation>, packs: Set<Pack>, quarantined: string[]): Promise<void> {
  const path = join(packDir, name)
  let entries: PackEntry[]
  let st: Stats
  const fd = await fdOpen(path, 'r')
  try {
    st = await fdStat(fd)
    entries = await decodeTrailer(st.size, (position, length) => fdReadExactly(fd, position, length))
  } catch (err) {
    if (!ShoalError.is(err, 'BAD_CHUNK')) throw err
    // Never delete what might be someone's data: set it aside and say so.
    await rename(path, `${path}.bad`).catch(() => undefined)
    quarantined.push(`${name}: ${err.message}`)
    return
  } finally {
    await fdClose(fd)
  }
  const pack = new Pack(name, path, st.size, entries.length)
  packs.add(pack)
  for (const e of entries) {
    if (index.has(e.hash)) {
      pack.live-- // a copy left by a compaction cut short
      continue
    }
    index.set(e.hash, { home: pack, data: null, offset: e.offset, length: e.length, storedAt: e.storedAt, usedAt: 0 })
  }
}
