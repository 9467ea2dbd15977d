import { TreeWatch } from './tree-watch.js'

/** …and a folder is listed whole at least this often, whatever the watch reported. */
export const FULL_SCAN_MS = 10_000
/** More changed paths than this between two ticks: the next scan lists the folder whole. */
export const MAX_CHANGED_PATHS = 10_000

/**
 * What a tick does: nothing to scan (only offer the newest snapshot to replicas), scan only the
 * paths the watch reported changed, or list the whole folder (`changed` null).
 */
export type Scan = { scan: false } | { scan: true; changed: string[] | null }

/**
 * When a master snapshots its live folder. Every interval: when the file-system watch reported
 * changes, a tick scans just those paths; the whole folder is listed when the watch cannot say
 * (no watch here, a path it could not name, too many paths, a failed tick) and at least every
 * `fullScanMs` regardless, which bounds how long a change a watch missed can go unseen. With
 * nothing reported, a tick only offers the newest snapshot to replicas that lack it. Ticks never
 * overlap; a failing tick is reported and the schedule goes on.
 */
export class SnapshotSchedule {
  private timer: NodeJS.Timeout | null = null
  private watcher: TreeWatch | null = null
  private changed = new Set<string>()
  private whole = true
  private lastWhole = 0
  private ticking: Promise<void> | null = null

  constructor(
    private readonly dir: string,
    private readonly everyMs: number,
    private readonly tick: (scan: Scan) => Promise<void>,
    private readonly onError: (err: unknown) => void,
    private readonly fullScanMs = FULL_SCAN_MS
  ) {}

  /** Starts watching and ticking (idempotent). The first tick lists the whole folder. */
  start(): void {
    if (this.timer !== null) return
    const watcher = new TreeWatch(
      this.dir,
      (path) => this.saw(path),
      () => {
        // Changes may go unreported from now on: list the whole folder on every tick.
        watcher.close()
        if (this.watcher === watcher) this.watcher = null
      }
    )
    try {
      watcher.start()
      this.watcher = watcher
    } catch {
      watcher.close()
      this.watcher = null
    }
    this.whole = true
    this.timer = setInterval(() => this.run(), this.everyMs)
    this.timer.unref()
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer)
    this.timer = null
    this.watcher?.close()
    this.watcher = null
  }

  /** Stops, and resolves once a tick in progress (if any) is over. `start()` resumes. */
  async halt(): Promise<void> {
    this.stop()
    await this.ticking
  }

  private saw(path: string | null): void {
    if (path === null || this.changed.size >= MAX_CHANGED_PATHS) this.whole = true
    else this.changed.add(path)
  }

  private run(): void {
    if (this.ticking !== null) return
    const whole = this.watcher === null || this.whole || Date.now() - this.lastWhole >= this.fullScanMs
    const scan: Scan = whole ? { scan: true, changed: null } : this.changed.size > 0 ? { scan: true, changed: [...this.changed] } : { scan: false }
    // Changes reported from here on belong to the next tick.
    this.changed = new Set()
    this.whole = false
    if (whole) this.lastWhole = Date.now()
    this.ticking = this.tick(scan)
      .catch((err: unknown) => {
        // The paths this tick was given may not all be in a snapshot: list everything next time.
        this.whole = true
        this.onError(err)
      })
      .finally(() => (this.ticking = null))
  }
}
