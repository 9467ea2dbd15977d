import { mkdir, readFile, stat, unlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Manifest, Snapnode } from '../core/snapnode.js'
import type { HeadRef } from '../core/types.js'
import { checkout, type CheckoutStats } from '../volume/checkout.js'
import type { ChunkStore } from '../volume/chunk-store.js'
import { fsyncDir, writeFileAtomic } from '../volume/fs-atomic.js'
import { SnapshotStore } from '../volume/snapshot-store.js'
import { Snapshotter } from '../volume/snapshotter.js'

/**
 * One app's data on this node: its live folder (written by the app only while this node is the
 * master; on a replica, kept at the newest snapshot as a standby) and its snapshot store, over
 * the node's shared chunk store.
 *   <home>/apps/<app>/live        the folder the app runs in
 *   <home>/apps/<app>/live-holds  the snapshot the live folder holds exactly, when known
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
   * Makes the live folder exactly a snapshot (default: the newest), for a master term to start
   * in. A live folder already here (a replica's standby, or one left by an earlier term) is
   * updated in place: files whose size or mtime differ are rewritten, as rsync does, and when
   * the folder is known to hold an older snapshot, so are files whose content changed between
   * the two under the same size and mtime. Unchanged files keep their inodes (the next snapshot
   * need not re-read them).
   * The caller marks the folder's term only after this returns, so an interrupted update is
   * simply redone.
   */
  async restore(id: string | null = this.head()?.id ?? null): Promise<CheckoutStats | null> {
    const held = await this.forgetHeld()
    if (id === null) {
      await mkdir(this.live, { recursive: true })
      return null
    }
    const manifest = await this.store.readManifest(id)
    const stats = await this.checkoutLive(manifest, held, true)
    await this.snapshotter.adopt(manifest, id)
    return stats
  }

  /**
   * A replica's standby: brings the live folder (which nothing runs in here) to snapshot `id`,
   * so that taking over later writes only what changed since. Only for a folder no master term
   * claims (liveEpoch 0): its content is all in snapshots.
   */
  async refreshStandby(id: string): Promise<CheckoutStats> {
    const held = await this.forgetHeld()
    const stats = await this.checkoutLive(await this.store.readManifest(id), held, false)
    await writeFileAtomic(this.heldPath, `${id}\n`)
    return stats
  }

  /** The snapshot the live folder holds exactly (as a standby), or null when not known. */
  async held(): Promise<string | null> {
    try {
      return (await readFile(this.heldPath, 'utf8')).trim() || null
    } catch {
      return null
    }
  }

  private get heldPath(): string {
    return join(this.dir, 'live-holds')
  }

  /** Before the live folder changes: it holds no known snapshot any more (durably so). */
  private async forgetHeld(): Promise<string | null> {
    const held = await this.held()
    if (held === null) return null
    await unlink(this.heldPath)
    await fsyncDir(this.dir)
    return held
  }

  /** `scanAll`: look at every file, not only those that differ from `held` (see CheckoutOptions). */
  private async checkoutLive(manifest: Manifest, held: string | null, scanAll: boolean): Promise<CheckoutStats> {
    const inPlace = await this.hasLive()
    const previous = inPlace && held !== null && this.store.has(held) ? await this.store.readManifest(held).catch(() => undefined) : undefined
    return checkout({ chunks: this.chunks, manifest, target: this.live, mode: inPlace ? 'in-place' : 'fresh', previous, scanAll })
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
