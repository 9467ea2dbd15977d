import { mkdir, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Snapnode } from '../core/snapnode.js'
import type { HeadRef } from '../core/types.js'
import { checkout } from '../volume/checkout.js'
import type { ChunkStore } from '../volume/chunk-store.js'
import { SnapshotStore } from '../volume/snapshot-store.js'
import { Snapshotter } from '../volume/snapshotter.js'

/**
 * One app's data on this node: its live folder (written only while this node is the master)
 * and its snapshot store, over the node's shared chunk store.
 *   <home>/apps/<app>/live        the folder the app runs in
 *   <home>/apps/<app>/snapshots   snapnodes, manifests, stashes
 */
export class AppVolume {
  readonly dir: string
  readonly live: string
  readonly store: SnapshotStore
  readonly snapshotter: Snapshotter

  constructor(
    home: string,
    readonly app: string,
    readonly chunks: ChunkStore,
    self: string
  ) {
    this.dir = join(home, 'apps', app)
    this.live = join(this.dir, 'live')
    this.store = new SnapshotStore(join(this.dir, 'snapshots'), chunks)
    this.snapshotter = new Snapshotter({ root: this.live, chunks, snapshots: this.store, origin: self })
  }

  async open(): Promise<void> {
    await this.store.open()
  }

  head(): Snapnode | null {
    return this.store.head()
  }

  headRef(): HeadRef | null {
    const h = this.store.head()
    return h === null ? null : { id: h.id, seq: h.seq, epoch: h.epoch, time: h.time }
  }

  /**
   * Snapshots the live folder; null when nothing changed since the newest snapshot. `changed`:
   * the paths a watch reported since the last snapshot (see Snapshotter), else it is listed whole.
   */
  async snapshot(epoch: number, changed?: string[]): Promise<Snapnode | null> {
    const r = await this.snapshotter.snapshot({ epoch, changed })
    return r.changed ? r.snapnode : null
  }

  async hasLive(): Promise<boolean> {
    return stat(this.live).then(
      (s) => s.isDirectory(),
      () => false
    )
  }

  /**
   * Makes the live folder exactly a snapshot (default: the newest). A live folder left by an
   * earlier term here is updated in place (only files whose size or mtime differ are written, as
   * rsync does), so a move back to a node that ran the app rewrites its hot files, not its whole
   * volume, and unchanged files keep their inodes (the next snapshot need not re-read them).
   * The caller marks the folder's term only after this returns, so an interrupted update is
   * simply redone.
   */
  async restore(id: string | null = this.head()?.id ?? null): Promise<void> {
    if (id === null) {
      await mkdir(this.live, { recursive: true })
      return
    }
    const mode = (await this.hasLive()) ? 'in-place' : 'fresh'
    const manifest = await this.store.readManifest(id)
    await checkout({ chunks: this.chunks, manifest, target: this.live, mode })
    await this.snapshotter.adopt(manifest, id)
  }

  /**
   * The master term the live folder belongs to (0: none, or reconciled). A node whose live
   * folder is of an older term than the app's placement holds writes to reconcile.
   */
  async liveEpoch(): Promise<number> {
    try {
      return Number((await readFile(join(this.dir, 'live-epoch'), 'utf8')).trim()) || 0
    } catch {
      return 0
    }
  }

  async setLiveEpoch(epoch: number): Promise<void> {
    await mkdir(this.dir, { recursive: true })
    await writeFile(join(this.dir, 'live-epoch'), `${epoch}\n`)
  }

  /** Materialises any snapshot this node holds into `target` (inspection or restore). */
  async checkoutTo(id: string, target: string): Promise<void> {
    await checkout({ chunks: this.chunks, manifest: await this.store.readManifest(id), target, mode: 'fresh' })
  }
}
