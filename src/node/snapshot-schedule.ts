import { watch, type FSWatcher } from 'node:fs'

/** …and a folder is rescanned at least this often even when the watch saw nothing. */
export const FULL_SCAN_MS = 10_000

/**
 * When a master snapshots its live folder: every interval, if a file-system watch saw a change
 * (or the last scan is older than FULL_SCAN_MS, or no watch works here) `tick(true)` scans and
 * snapshots; otherwise `tick(false)` only offers the newest snapshot to replicas that lack it.
 * Ticks never overlap; a failing tick is reported and the schedule goes on.
 */
export class SnapshotSchedule {
  private timer: NodeJS.Timeout | null = null
  private watcher: FSWatcher | null = null
  private dirty = true
  private lastScan = 0
  private ticking: Promise<void> | null = null

  constructor(
    private readonly dir: string,
    private readonly everyMs: number,
    private readonly tick: (scan: boolean) => Promise<void>,
    private readonly onError: (err: unknown) => void
  ) {}

  /** Starts watching and ticking (idempotent). */
  start(): void {
    if (this.timer !== null) return
    try {
      this.watcher = watch(this.dir, { recursive: true }, () => (this.dirty = true))
      this.watcher.on('error', () => {
        this.watcher?.close()
        this.watcher = null
      })
    } catch {
      this.watcher = null
    }
    this.dirty = true
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

  private run(): void {
    if (this.ticking !== null) return
    const scan = this.watcher === null || this.dirty || Date.now() - this.lastScan >= FULL_SCAN_MS
    if (scan) {
      this.dirty = false
      this.lastScan = Date.now()
    }
    this.ticking = this.tick(scan)
      .catch(this.onError)
      .finally(() => (this.ticking = null))
  }
}
