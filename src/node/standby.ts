import type { CheckoutStats } from '../volume/checkout.js'
import type { AppVolume } from './app-volume.js'

/**
 * A replica brings its standby copy of the live folder up to date at most this often by default:
 * rarely enough that rewriting changed files costs little beside replication's own writes, and
 * a takeover still writes only what changed in the last half minute.
 */
export const STANDBY_REFRESH_MS = 30_000

/**
 * A replica's standby for one app: the live folder (which nothing runs in here) kept at the
 * newest snapshot the node holds, refreshed at most every `everyMs`, so that taking over, by
 * failover or by a move, writes only what changed since instead of the whole volume.
 */
export class Standby {
  private refreshedAt = 0

  constructor(private readonly everyMs = STANDBY_REFRESH_MS) {}

  /**
   * Refreshes the standby when it is due and behind: the snapshot it now holds and what the
   * refresh wrote, or null when none was due. The caller serialises this with any takeover of
   * the folder.
   */
  async keep(vol: AppVolume): Promise<{ id: string; stats: CheckoutStats } | null> {
    if (Date.now() - this.refreshedAt < this.everyMs) return null
    // A folder a master term claims holds writes to reconcile first (demoteIfStale).
    if ((await vol.liveEpoch()) !== 0) return null
    const head = vol.head()
    if (head === null || (await vol.held()) === head.id) return null
    this.refreshedAt = Date.now()
    return { id: head.id, stats: await vol.refreshStandby(head.id) }
  }
}
