import { close, openSync } from 'node:fs'
import { fdOpen } from './fd-io.js'
import type { Pack } from './pack-building.js'

/** At most this many pack files are kept open for reading. */
export const MAX_OPEN_PACKS = 128

/**
 * The read descriptors of a chunk store's packs: opened on first read (asynchronously or not),
 * kept while recently read, and closed least recently read first beyond MAX_OPEN_PACKS (never
 * one being read).
 */
export class OpenPacks {
  /** Open packs, least recently read first. */
  private readonly open = new Map<Pack, true>()

  async fd(pack: Pack): Promise<number> {
    if (pack.fd !== null) return this.touch(pack)
    pack.opening ??= fdOpen(pack.path, 'r').then((fd) => {
      pack.opening = null
      if (pack.fd === null) return this.adopt(pack, fd)
      close(fd, () => undefined) // opened synchronously meanwhile: keep that one
      return pack.fd
    })
    return pack.opening
  }

  fdSync(pack: Pack): number {
    return pack.fd !== null ? this.touch(pack) : this.adopt(pack, openSync(pack.path, 'r'))
  }

  /** Closes the pack's descriptor, if open. */
  close(pack: Pack): void {
    this.open.delete(pack)
    const fd = pack.fd
    pack.fd = null
    if (fd !== null) close(fd, () => undefined)
  }

  /** Marks an open pack as the most recently read. */
  private touch(pack: Pack): number {
    this.open.delete(pack)
    this.open.set(pack, true)
    return pack.fd!
  }

  private adopt(pack: Pack, fd: number): number {
    pack.fd = fd
    this.open.set(pack, true)
    for (const p of this.open.keys()) {
      if (this.open.size <= MAX_OPEN_PACKS) break
      if (p.readers === 0) this.close(p)
    }
    return fd
  }
}
