import { join } from 'node:path'
import type { HeadRef } from '../core/types.js'
import type { Mesh } from '../mesh/mesh.js'
import type { ChunkStore } from '../volume/chunk-store.js'
import { AppVolume } from './app-volume.js'
import { claimAppDir } from './volume-identity.js'

interface Entry {
  volume: AppVolume
  /** The createdAt of the app it was opened for; null when no live spec asked (a removed app's). */
  owner: number | null
  /** Settles once the folder is claimed and the volume open. */
  ready: Promise<void>
}

export interface AppVolumesOptions {
  home: string
  chunks: ChunkStore
  self: string
  /** Where this node's record names the snapshot it holds of each app. */
  mesh: Pick<Mesh, 'record' | 'updateSelf'>
  /** A folder an earlier app of the same name left was moved to `movedTo` (for the event log). */
  setAside(app: string, movedTo: string): void
}

/**
 * This node's app volumes, one per app name, over one chunk store, and the newest snapshot of
 * each named in the node's gossiped record. A volume belongs to one app: the first time an app
 * (its spec's createdAt) asks for its name, a folder an earlier app of that name left is set
 * aside (see claimAppDir) before the volume opens.
 */
export class AppVolumes {
  private readonly entries = new Map<string, Entry>()

  constructor(private readonly o: AppVolumesOptions) {}

  /** The volume of `app`, open; `owner`: its spec's createdAt, null for a removed app's. */
  async open(app: string, owner: number | null): Promise<AppVolume> {
    let entry = this.entries.get(app)
    if (entry === undefined || (owner !== null && entry.owner !== owner)) {
      const volume = new AppVolume(this.o.home, app, this.o.chunks, this.o.self)
      const made: Entry = { volume, owner, ready: Promise.resolve() }
      // One that failed to open is made again by the next caller.
      made.ready = this.prepare(app, owner, volume).catch((err: unknown) => {
        if (this.entries.get(app) === made) this.entries.delete(app)
        throw err
      })
      this.entries.set(app, made)
      entry = made
    }
    await entry.ready
    return entry.volume
  }

  /** The volume of `app` if one is open (or opening). */
  get(app: string): AppVolume | undefined {
    return this.entries.get(app)?.volume
  }

  /** Every volume open here, by app. */
  all(): Map<string, AppVolume> {
    return new Map([...this.entries].map(([app, e]) => [app, e.volume]))
  }

  /** Publishes the newest snapshot this node holds of `app` in its record (or that it holds none). */
  publishHead(app: string): void {
    const head: HeadRef | null = this.get(app)?.headRef() ?? null
    const heads = { ...this.o.mesh.record.heads }
    if (head === null) delete heads[app]
    else if (heads[app]?.id === head.id) return
    else heads[app] = head
    this.o.mesh.updateSelf({ heads })
  }

  /** Lets go of a removed app's volume (its folder stays on disk). */
  forget(app: string): void {
    this.entries.delete(app)
  }

  private async prepare(app: string, owner: number | null, volume: AppVolume): Promise<void> {
    if (owner !== null) {
      const moved = await claimAppDir(join(this.o.home, 'apps', app), owner)
      if (moved !== null) this.o.setAside(app, moved)
    }
    await volume.open()
    // The record names the snapshot this node holds of this app, not of an earlier one.
    if (owner !== null) this.publishHead(app)
  }
}
