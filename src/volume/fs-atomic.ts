import { open, rename, unlink, writeFile } from 'node:fs/promises'
import { randomBytes } from 'node:crypto'
import { dirname, join, basename } from 'node:path'

/** Prefix of every temporary file this layer writes; startup sweeps remove leftovers. */
export const TMP_PREFIX = '.shoal-tmp-'

export function tmpPathBeside(path: string): string {
  return join(dirname(path), `${TMP_PREFIX}${basename(path)}-${randomBytes(6).toString('hex')}`)
}

/** fsyncs a directory so a rename inside it survives power loss. */
export async function fsyncDir(dir: string): Promise<void> {
  const fd = await open(dir, 'r')
  try {
    await fd.sync()
  } finally {
    await fd.close()
  }
}

/** fsyncs an existing file. */
export async function fsyncFile(path: string): Promise<void> {
  const fd = await open(path, 'r')
  try {
    await fd.sync()
  } finally {
    await fd.close()
  }
}

/**
 * Writes `data` to `path` so that readers see either the old file or the whole new one:
 * temporary file beside it, optional fsync, rename. With `sync`, the directory is fsynced too.
 */
export async function writeFileAtomic(path: string, data: Uint8Array | string, opts: { sync?: boolean; mode?: number } = {}): Promise<void> {
  let tmp: string | null = null
  try {
    if (opts.sync) tmp = await writeTmpSynced(path, data, opts.mode)
    else await writeFile((tmp = tmpPathBeside(path)), data, { mode: opts.mode ?? 0o644 })
    await rename(tmp, path)
  } catch (err) {
    if (tmp !== null) await unlink(tmp).catch(() => undefined)
    throw err
  }
  if (opts.sync) await fsyncDir(dirname(path))
}

/**
 * Writes `data` (one buffer or string, or several buffers back to back) beside `path` and
 * fsyncs it; returns the temporary path, to be renamed onto `path` by the caller (whose folder
 * fsync then makes the rename durable).
 */
export async function writeTmpSynced(path: string, data: Uint8Array | string | readonly Uint8Array[], mode = 0o644): Promise<string> {
  const tmp = tmpPathBeside(path)
  try {
    const fd = await open(tmp, 'w', mode)
    try {
      if (Array.isArray(data)) await fd.writev(data)
      else await fd.writeFile(data as Uint8Array | string)
      await fd.sync()
    } finally {
      await fd.close()
    }
  } catch (err) {
    await unlink(tmp).catch(() => undefined)
    throw err
  }
  return tmp
}
