import { lstatSync, readdirSync, readlinkSync } from 'node:fs'
import { join } from 'node:path'
import type { ManifestEntry } from '../core/snapnode.js'
import { symlinkEscape } from './manifest-check.js'
import { yieldToLoop } from './yield-to-loop.js'

/** What a listing keeps of an lstat: just enough to decide on the stat cache (Stats objects are big). */
export interface FileStat {
  size: number
  mtimeMs: number
  ctimeMs: number
  ino: number
  mode: number
}

/**
 * One entry of the live folder as listed: folders and symlinks come with their manifest entry;
 * regular files with their stat (their entry is made once they are known unchanged or read).
 * `kept`: taken over from the previous listing without being looked at again.
 */
export interface Found {
  path: string
  st: FileStat | null
  entry?: ManifestEntry
  kept?: boolean
}

/** Entries a listing leaves out, with why (escaping symlinks, sockets, unsupported names). */
export type Skipped = Array<{ path: string; reason: string }>


/**
 * Looks at one path of the live folder (relative, '/'-separated): null when it is gone or left
 * out (then `skipped` says why). Synchronous lstat: a few µs, far cheaper than a thread-pool
 * round trip each.
 */
export function lookAt(root: string, path: string, skipped: Skipped): Found | null {
  if (path.slice(path.lastIndexOf('/') + 1).includes('\\')) {
    skipped.push({ path, reason: 'name contains a backslash' })
    return null
  }
  const abs = join(root, path)
  const st = lstatSync(abs, { throwIfNoEntry: false })
  if (!st) return null // deleted meanwhile
  const mode = st.mode & 0o7777
  if (st.isDirectory()) return { path, st: null, entry: { path, kind: 'dir', mode, mtimeMs: st.mtimeMs, size: 0 } }
  if (st.isSymbolicLink()) {
    const target = readlinkSync(abs)
    const why = symlinkEscape(path, target)
    if (!why) return { path, st: null, entry: { path, kind: 'symlink', mode, mtimeMs: st.mtimeMs, size: 0, target } }
    skipped.push({ path, reason: `symlink to ${JSON.stringify(target)} escapes the volume (${why})` })
    return null
  }
  if (st.isFile()) return { path, st: { size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, ino: st.ino, mode } }
  skipped.push({ path, reason: 'not a file, folder or symlink' })
  return null
}

/**
 * Lists everything below folder `rel` ('' = the root) into `out`, unsorted. Each folder is read
 * synchronously and the event loop gets a turn between folders, so a huge tree never blocks it
 * for long.
 */
export async function walkTree(root: string, rel: string, out: Found[], skipped: Skipped): Promise<void> {
  const subdirs: string[] = []
  for (const name of readdirSync(rel ? join(root, rel) : root)) {
    const found = lookAt(root, rel ? `${rel}/${name}` : name, skipped)
    if (found === null) continue
    out.push(found)
    if (found.entry?.kind === 'dir') subdirs.push(found.path)
  }
  for (const d of subdirs) {
    await yieldToLoop()
    await walkTree(root, d, out, skipped)
  }
}
