import { afterEach } from 'vitest'
import { randomBytes } from 'node:crypto'
import { chmod, lstat, mkdir, mkdtemp, readFile, readdir, readlink, rm, symlink, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect } from 'vitest'
import { ChunkStore } from '../../src/volume/chunk-store.js'
import { SnapshotStore } from '../../src/volume/snapshot-store.js'
import { Snapshotter, type SnapshotterOptions } from '../../src/volume/snapshotter.js'

const dirs: string[] = []
afterEach(async () => {
  // A store may still be closing a file in there: removal is retried (ENOTEMPTY) rather than failing the test.
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 })))
})

/** A temp dir removed after the current test. */
export async function tempDir(prefix = 'shoal-vol-'): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), prefix))
  dirs.push(d)
  return d
}

export const nodeIdOf = (n: number) => n.toString(16).padStart(2, '0').repeat(32)

/** One node's volume parts in `home`. */
export async function makeNode(home: string, id: string, root = join(home, 'live')) {
  await mkdir(root, { recursive: true })
  const chunks = new ChunkStore(join(home, 'chunks'))
  await chunks.open()
  const snapshots = new SnapshotStore(join(home, 'volumes', 'app'), chunks)
  await snapshots.open()
  const snapshotter = new Snapshotter({ root, chunks, snapshots, origin: id, racyMs: 0, fineRacyMs: 0 })
  return { id, home, root, chunks, snapshots, snapshotter }
}

/** Another snapshotter of a node's live folder, with options of its own (default racy windows). */
export function snapshotterOf(node: Awaited<ReturnType<typeof makeNode>>, options: Partial<SnapshotterOptions> = {}): Snapshotter {
  return new Snapshotter({ root: node.root, chunks: node.chunks, snapshots: node.snapshots, origin: node.id, ...options })
}

let seed = 0x9e3779b9

/**
 * Incompressible bytes, different for every call but the same from run to run: chunk boundaries
 * (and so counts of new chunks) do not depend on luck.
 */
export function pseudoRandom(size: number): Buffer {
  const buf = Buffer.alloc(Math.ceil(size / 4) * 4)
  const words = new Uint32Array(buf.buffer, buf.byteOffset, buf.length / 4)
  let x = (seed = (seed + 0x6d2b79f5) >>> 0) || 1
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    words[i] = x >>> 0
  }
  return buf.subarray(0, size)
}

/** A tree with every kind of entry: nested files with odd modes, empty files and folders, symlinks, a big file. */
export async function buildTree(root: string): Promise<void> {
  await mkdir(join(root, 'sub/deeper'), { recursive: true })
  await mkdir(join(root, 'empty-dir'))
  await mkdir(join(root, 'locked'), { mode: 0o750 })
  await writeFile(join(root, 'hello.txt'), 'hello world\n')
  await writeFile(join(root, 'empty'), '')
  await writeFile(join(root, 'sub/script.sh'), '#!/bin/sh\necho hi\n', { mode: 0o755 })
  await chmod(join(root, 'sub/script.sh'), 0o755)
  await writeFile(join(root, 'sub/deeper/secret'), randomBytes(1000))
  await chmod(join(root, 'sub/deeper/secret'), 0o600)
  await writeFile(join(root, 'big.bin'), pseudoRandom(1_500_000))
  await writeFile(join(root, 'locked/x'), 'x')
  await writeFile(join(root, 'ünïcødé name.txt'), 'ü')
  await symlink('hello.txt', join(root, 'link-to-hello'))
  await symlink('../hello.txt', join(root, 'sub/up-link'))
  await symlink('sub/deeper', join(root, 'dir-link'))
  await symlink('does-not-exist', join(root, 'dangling'))
  await utimes(join(root, 'hello.txt'), 1_600_000_000, 1_600_000_000.123)
}

interface TreeEntry {
  kind: string
  mode: number
  mtimeMs: number
  content?: string
}

/** Everything a user could notice about a tree (contents as sha-free hex snippets would be too weak: full bytes). */
export async function describeTree(root: string, withDirMtimes = true): Promise<Record<string, TreeEntry>> {
  const out: Record<string, TreeEntry> = {}
  async function walk(rel: string): Promise<void> {
    for (const name of (await readdir(rel ? join(root, rel) : root)).sort()) {
      const path = rel ? `${rel}/${name}` : name
      const abs = join(root, path)
      const st = await lstat(abs)
      const mtimeMs = Math.round(st.mtimeMs)
      if (st.isDirectory()) {
        out[path] = { kind: 'dir', mode: st.mode & 0o7777, mtimeMs: withDirMtimes ? mtimeMs : 0 }
        await walk(path)
      } else if (st.isSymbolicLink()) out[path] = { kind: 'symlink', mode: 0, mtimeMs, content: await readlink(abs) }
      else out[path] = { kind: 'file', mode: st.mode & 0o7777, mtimeMs, content: (await readFile(abs)).toString('base64') }
    }
  }
  await walk('')
  return out
}

export async function expectSameTree(a: string, b: string): Promise<void> {
  const [da, db] = await Promise.all([describeTree(a), describeTree(b)])
  expect(Object.keys(db)).toEqual(Object.keys(da))
  for (const k of Object.keys(da)) expect({ path: k, ...db[k] }).toEqual({ path: k, ...da[k] })
}

/** Resolves when `check` returns true, polling on a short interval; fails after `timeoutMs`. */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > until) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 5))
  }
}
