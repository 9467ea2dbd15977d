import { lstatSync, readdirSync, watch, type Dirent, type FSWatcher } from 'node:fs'
import { basename, join } from 'node:path'

/**
 * Watches a folder and every folder below it with one inotify watch per folder: a folder's watch
 * already reports changes to the files in it. (Node 20's recursive fs.watch on Linux also holds
 * one per file, and stats every file when it starts.) Each change is reported as a path relative
 * to the root, or null when the kernel could not name it. A folder that appears is watched, and
 * everything already in it is reported, since it may have filled before its watch was set.
 * Symlinks are not followed.
 */
export class TreeWatch {
  private readonly watches = new Map<string, FSWatcher>()
  private closed = false

  /**
   * `onChange` is called synchronously from the watch's event. `onError` once a folder cannot be
   * watched (inotify's limits, say): from then on changes may go unreported.
   */
  constructor(
    private readonly root: string,
    private readonly onChange: (path: string | null) => void,
    private readonly onError: (err: Error) => void
  ) {}

  /** Watches the whole tree (throws when the root itself cannot be watched). */
  start(): void {
    this.add('', false)
  }

  close(): void {
    this.closed = true
    for (const w of this.watches.values()) w.close()
    this.watches.clear()
  }

  /** Watches folder `rel` and the folders below it; `report`: tell what is in them. */
  private add(rel: string, report: boolean): void {
    if (this.closed || this.watches.has(rel)) return
    const abs = this.abs(rel)
    let w: FSWatcher
    try {
      w = watch(abs, (_event, name) => this.saw(rel, name))
    } catch (err) {
      if (rel === '') throw err
      const code = (err as NodeJS.ErrnoException).code
      if (code !== 'ENOENT' && code !== 'ENOTDIR') this.failed(err as Error)
      return
    }
    w.on('error', (err: Error) => {
      this.forget(rel)
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.failed(err)
    })
    this.watches.set(rel, w)
    let entries: Dirent[]
    try {
      entries = readdirSync(abs, { withFileTypes: true })
    } catch {
      return // gone already; its folder's watch reports that
    }
    for (const e of entries) {
      const path = rel ? `${rel}/${e.name}` : e.name
      if (report) this.onChange(path)
      if (e.isDirectory()) this.add(path, report)
    }
  }

  private saw(folder: string, name: string | Buffer | null): void {
    if (this.closed) return
    if (typeof name !== 'string' || name === '') {
      this.onChange(null)
      return
    }
    const path = folder ? `${folder}/${name}` : name
    this.onChange(path)
    // A watch names its own folder when that folder itself goes (deleted, renamed, or replaced
    // by a new folder of the same name, which may even get the same inode number): watch
    // whatever is there now afresh. (A child with its folder's name costs one needless re-watch.)
    if (name === basename(this.abs(folder))) this.rewatch(folder)
    if (!this.isFolder(path)) {
      if (this.watches.has(path)) this.forget(path)
    } else this.add(path, true)
  }

  private rewatch(folder: string): void {
    if (folder === '') {
      // The root itself went: nothing below it can be trusted to be watched any more.
      if (!this.isFolder('')) this.failed(new Error(`${this.root} is gone`))
      return
    }
    this.forget(folder)
    this.onChange(folder)
    if (this.isFolder(folder)) this.add(folder, true)
  }

  /** Whether `rel` ('' = the root) is a folder now (a symlink to one is not). */
  private isFolder(rel: string): boolean {
    return lstatSync(this.abs(rel), { throwIfNoEntry: false })?.isDirectory() === true
  }

  private abs(rel: string): string {
    return rel ? join(this.root, rel) : this.root
  }

  /** Stops watching `rel` and every folder below it (it is gone, or no longer a folder). */
  private forget(rel: string): void {
    for (const [path, w] of this.watches) {
      if (path === rel || rel === '' || path.startsWith(`${rel}/`)) {
        w.close()
        this.watches.delete(path)
      }
    }
  }

  private failed(err: Error): void {
    if (this.closed) return
    this.onError(err)
  }
}
