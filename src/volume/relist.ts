import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { comparePaths, indexOfPath, lowerBoundPath, type Manifest, type ManifestEntry } from '../core/snapnode.js'
import { checkRelativePath } from './manifest-check.js'
import { lookAt, type Found, type Skipped } from './tree-walk.js'
import { yieldToLoop } from './yield-to-loop.js'

/** A changed path as a watch reports it (relative, '/'-separated), or null if it is not one. */
export function changedPath(reported: string): string | null {
  try {
    checkRelativePath(reported)
    return reported
  } catch {
    return null
  }
}

const parentOf = (path: string) => (path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '')
const under = (folder: string, name: string) => (folder ? `${folder}/${name}` : name)
const depthOf = (path: string) => (path === '' ? 0 : path.split('/').length)
const kindOf = (f: Found) => f.entry?.kind ?? 'file'
/** Paths looked at between two turns of the event loop (a new folder can hold very many). */
const LOOKS_PER_TURN = 1000

/**
 * The live folder's listing after changes at `changed` (paths a file-system watch reported since
 * `previous` was listed), without listing the whole tree again: everything else is taken over
 * from `previous` (marked `kept`). Looked at again: each changed path, every folder on the way to
 * it (a folder's mtime changes with its names), and whatever appeared in those folders (so a new
 * folder is listed whole); what is gone is dropped with everything below it. Folders come before
 * what is in them, so nothing is looked up through a folder that became a symlink.
 *
 * Returns null when a reported path cannot be used or the root cannot be read: the caller then
 * lists the whole tree. Sorted by path, as `previous` is: the entries looked at are merged into
 * it, so a change to a few paths of a big volume costs about one pass over its entries.
 */
export async function relist(root: string, previous: Manifest, changed: Iterable<string>, skipped: Skipped): Promise<Found[] | null> {
  const old = previous.entries
  /** What was looked at: its entry now, or null when it is gone. */
  const looked = new Map<string, Found | null>()
  /** Paths whose previous entry goes, with everything below it. */
  const dropped = new Set<string>()
  const droppedHere = (path: string) => {
    for (let p = path; ; p = parentOf(p)) {
      if (dropped.has(p)) return true
      if (p === '') return false
    }
  }
  /** The kind of what is at `path` now, as far as this listing knows (null: nothing). */
  const kindNow = (path: string): ManifestEntry['kind'] | null => {
    const seen = looked.get(path)
    if (seen !== undefined) return seen === null ? null : kindOf(seen)
    if (droppedHere(path)) return null
    const i = indexOfPath(old, path)
    return i >= 0 ? old[i]!.kind : null
  }

  const levels: Array<Set<string>> = []
  const mark = (path: string) => (levels[depthOf(path)] ??= new Set()).add(path)
  mark('')
  for (const reported of changed) {
    const path = changedPath(reported)
    if (path === null) return null
    mark(path)
    for (let i = path.indexOf('/'); i >= 0; i = path.indexOf('/', i + 1)) mark(path.slice(0, i))
  }

  let looks = 0
  for (let depth = 0; depth < levels.length; depth++) {
    for (const path of levels[depth] ?? []) {
      if (++looks % LOOKS_PER_TURN === 0) await yieldToLoop()
      // Nothing below this path was looked at yet (folders come first): a folder's names known
      // here are those it had in `previous`.
      let known: ReadonlySet<string>
      if (path !== '') {
        const folder = parentOf(path)
        if (folder !== '' && kindNow(folder) !== 'dir') {
          dropped.add(path) // its folder is gone or no longer a folder
          continue
        }
        const before = kindNow(path)
        const now = lookAt(root, path, skipped)
        const replaced = before !== null && (now === null || before !== kindOf(now))
        if (replaced) dropped.add(path)
        looked.set(path, now)
        if (now === null || kindOf(now) !== 'dir') continue
        known = before === 'dir' && !replaced ? childrenOf(old, path) : new Set()
      } else known = childrenOf(old, '')
      // A folder: names that went, names that came (all of a new folder's).
      let present: Set<string>
      try {
        present = new Set(readdirSync(path ? join(root, path) : root))
      } catch {
        if (path === '') return null
        dropped.add(path) // gone between the lstat and now; its own event will follow
        looked.set(path, null)
        continue
      }
      for (const name of known) if (!present.has(name)) dropped.add(under(path, name))
      for (const name of present) if (!known.has(name)) mark(under(path, name))
    }
  }
  return merged(old, looked, dropped)
}

/** The previous entries that stay, with what was looked at (and is there) in their places. */
function merged(old: readonly ManifestEntry[], looked: ReadonlyMap<string, Found | null>, dropped: ReadonlySet<string>): Found[] {
  const skip = new Uint8Array(old.length)
  for (const path of dropped) {
    const i = indexOfPath(old, path)
    if (i >= 0) skip[i] = 1
    const [from, to] = rangeUnder(old, path)
    skip.fill(1, from, to)
  }
  const fresh: Found[] = []
  for (const [path, f] of looked) {
    const i = indexOfPath(old, path)
    if (i >= 0) skip[i] = 1
    if (f !== null) fresh.push(f)
  }
  fresh.sort((a, b) => comparePaths(a.path, b.path))
  const out: Found[] = []
  let k = 0
  for (let i = 0; i < old.length; i++) {
    if (skip[i] === 1) continue
    const e = old[i]!
    while (k < fresh.length && comparePaths(fresh[k]!.path, e.path) < 0) out.push(fresh[k++]!)
    out.push({ path: e.path, st: null, entry: e, kept: true })
  }
  while (k < fresh.length) out.push(fresh[k++]!)
  return out
}

/** The names directly in `folder` ('' = the root) among sorted entries. */
function childrenOf(list: readonly ManifestEntry[], folder: string): Set<string> {
  const out = new Set<string>()
  const [from, to] = folder === '' ? [0, list.length] : rangeUnder(list, folder)
  const skip = folder === '' ? 0 : folder.length + 1
  for (let i = from; i < to; i++) {
    const p = list[i]!.path
    if (p.indexOf('/', skip) < 0) out.add(skip === 0 ? p : p.slice(skip))
  }
  return out
}

/** The index range of the sorted entries below `folder` (their paths start with `folder/`). */
function rangeUnder(list: readonly ManifestEntry[], folder: string): [number, number] {
  const from = lowerBoundPath(list, `${folder}/`)
  // '/' + 1 is '0': every path below the folder sorts before `folder0`, and nothing else between.
  return [from, lowerBoundPath(list, `${folder}0`, from)]
}
