import { mkdir, readFile, rename } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fsyncDir, writeFileAtomic } from '../volume/fs-atomic.js'

/** The file in an app's folder naming the app it belongs to (its spec's createdAt). */
const MARKER = 'app-created'

/**
 * Makes `dir` (an app's folder, `<home>/apps/<name>`) belong to the app whose spec was created at
 * `createdAt`. A folder left by an earlier app of the same name (removed, then a new one added)
 * is renamed to `<name>.earlier-<its createdAt>` beside it, kept whole (no app name has a dot,
 * so no app ever uses it; its snapshots and stashes stay on this node until the operator
 * deletes the folder), and the new app starts from nothing. Resolves with the path it was moved
 * to, or null when nothing was. A folder with no marker (made before markers existed) is taken
 * as the current app's.
 */
export async function claimAppDir(dir: string, createdAt: number): Promise<string | null> {
  const want = String(createdAt)
  const found = await readFile(join(dir, MARKER), 'utf8').then(
    (t) => t.trim(),
    (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return null
      throw err
    }
  )
  if (found === want) return null
  let moved: string | null = null
  if (found !== null) {
    moved = `${dir}.earlier-${found || 'unknown'}`
    await rename(dir, moved)
    await fsyncDir(dirname(dir))
  }
  await mkdir(dir, { recursive: true })
  await writeFileAtomic(join(dir, MARKER), `${want}\n`)
  return moved
}

