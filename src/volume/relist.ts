import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Manifest } from '../core/snapnode.js'
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
const nameOf = (path: string) => path.slice(path.lastIndexOf('/') + 1)
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
 * lists the whole tree. Unsorted.
 */
export async function relist(root: string, previous: Manifest, changed: Iterable<string>, skipped: Skipped): Promise<Found[] | null> {
  const found = new Map<string, Found>()
  const names = new Map<string, Set<string>>()
  const link = (path: string) => {
    const folder = parentOf(path)
    let set = names.get(folder)
    if (!set) names.set(folder, (set = new Set()))
    set.add(nameOf(path))
  }
  const drop = (path: string) => {
    if (!found.delete(path)) return
    names.get(parentOf(path))?.delete(nameOf(path))
    const below = names.get(path)
    if (!below) return
    for (const name of [...below]) drop(under(path, name))
    names.delete(path)
  }
  const put = (f: Found) => {
    found.set(f.path, f)
    link(f.path)
  }
  for (const e of previous.entries) put({ path: e.path, st: null, entry: e, kept: true })

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
      if (path !== '') {
        const folder = parentOf(path)
        if (folder !== '' && found.get(folder)?.entry?.kind !== 'dir') {
          drop(path) // its folder is gone or no longer a folder
          continue
        }
        const before = found.get(path)
        const now = lookAt(root, path, skipped)
        if (before && (now === null || kindOf(before) !== kindOf(now))) drop(path)
        if (now === null) continue
        put(now)
        if (kindOf(now) !== 'dir') continue
      }
      // A folder: names that went, names that came (all of a new folder's).
      let present: Set<string>
      try {
        present = new Set(readdirSync(path ? join(root, path) : root))
      } catch {
        if (path === '') return null
        drop(path) // gone between the lstat and now; its own event will follow
        continue
      }
      for (const name of [...(names.get(path) ?? [])]) if (!present.has(name)) drop(under(path, name))
      const known = names.get(path)
      for (const name of present) if (!known?.has(name)) mark(under(path, name))
    }
  }
  return [...found.values()]
}
