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
  const tmp = tmpPathBeside(path)
  try {
    if (opts.sync) {
      const fd = await open(tmp, 'w', opts.mode ?? 0o644)
      try {
        await fd.writeFile(data)
        await fd.sync()
      } finally {
        await fd.close()
      }
    } else await writeFile(tmp, data, { mode: opts.mode ?? 0o644 })
    await rename(tmp, path)
  } catch (err) {
    await unlink(tmp).catch(() => undefined)
    throw err
  }
  if (opts.sync) await fsyncDir(dirname(path))
}

/**
 * Writes `data` (one buffer, or several back to back) beside `path` and fsyncs it; returns the temporary path, to be renamed onto
 * `path` by the caller (whose folder fsync then makes the rename durable).
 */
export async function writeTmpSynced(path: string, data: Uint8Array | readonly Uint8Array[]): Promise<string> {
  const tmp = tmpPathBeside(path)
  try {
    const fd = await open(tmp, 'w', 0o644)
    try {
      if (Array.isArray(data)) await fd.writev(data)
      else await fd.writeFile(data as Uint8Array)
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
