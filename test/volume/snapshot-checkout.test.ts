import { describe, expect, it } from 'vitest'
import { appendFile, mkdir, readdir, rm, symlink, utimes, writeFile } from 'node:fs/promises'
import { execFileSync } from 'node:child_process'
import { join } from 'node:path'
import { PIECE_BYTES, checkout } from '../../src/volume/checkout.js'
import { chunkHash } from '../../src/volume/chunk-hash.js'
import { SnapshotStore } from '../../src/volume/snapshot-store.js'
import { FINE_RACY_MS } from '../../src/volume/snapshotter.js'
import { buildTree, describeTree, expectSameTree, makeNode, nodeIdOf, pseudoRandom, snapshotterOf, tempDir } from './helpers.js'

describe('snapshot and checkout', () => {
  it('a fresh checkout is byte-identical: contents, modes, mtimes, symlinks, empty folders', async () => {
    const home = await tempDir()
    const node = await makeNode(home, nodeIdOf(1))
    await buildTree(node.root)
    const { snapnode, manifest, changed, stats } = await node.snapshotter.snapshot({ epoch: 1 })
    expect(changed).toBe(true)
    expect(snapnode).toMatchObject({ parent: null, origin: nodeIdOf(1), epoch: 1, seq: 1, holders: [nodeIdOf(1)] })
    expect(stats.skipped).toEqual([])
    const kinds = new Set(manifest.entries.map((e) => e.kind))
    expect([...kinds].sort()).toEqual(['dir', 'file', 'symlink'])

    const target = join(home, 'checkout')
    await checkout({ chunks: node.chunks, manifest: await node.snapshots.readManifest(snapnode.id), target, mode: 'fresh' })
    await expectSameTree(node.root, target)
  })

  it('a fresh checkout over an existing folder swaps it whole and leaves no temporary folders', async () => {
    const home = await tempDir()
    const node = await makeNode(home, nodeIdOf(1))
    await buildTree(node.root)
    const { manifest } = await node.snapshotter.snapshot({ epoch: 1 })
    const target = join(home, 'out', 'app')
    await mkdir(target, { recursive: true })
    await writeFile(join(target, 'stale'), 'old')
    await checkout({ chunks: node.chunks, manifest, target, mode: 'fresh' })
    await expectSameTree(node.root, target)
    expect(await readdir(join(home, 'out'))).toEqual(['app'])
  })

  it('skips symlinks that leave the volume and says why', async () => {
    const home = await tempDir()
    const node = await makeNode(home, nodeIdOf(1))
    await writeFile(join(node.root, 'ok'), 'ok')
    await symlink('/etc/passwd', join(node.root, 'abs'))
    await symlink('../../outside', join(node.root, 'climb'))
    const { manifest, stats } = await node.snapshotter.snapshot({ epoch: 1 })
    expect(manifest.entries.map((e) => e.path)).toEqual(['ok'])
    expect(stats.skipped.map((s) => s.path).sort()).toEqual(['abs', 'climb'])
    expect(stats.skipped[0]!.reason).toMatch(/escapes the volume/)
  })

  it('re-reads only files whose stat changed; an unchanged tree commits nothing', async () => {
    const home = await tempDir()
    const node = await makeNode(home, nodeIdOf(1))
    for (let i = 0; i < 50; i++) await writeFile(join(node.root, `f${i}`), pseudoRandom(10_000))
    const first = await node.snapshotter.snapshot({ epoch: 1 })
    expect(first.stats.filesRead).toBe(50)

    const same = await node.snapshotter.snapshot({ epoch: 1 })
    expect(same.changed).toBe(false)
    expect(same.stats.filesRead).toBe(0)
    expect(same.snapnode.id).toBe(first.snapnode.id)

    await appendFile(join(node.root, 'f7'), 'more')
    await writeFile(join(node.root, 'new'), 'new')
    const second = await node.snapshotter.snapshot({ epoch: 1 })
    expect(second.changed).toBe(true)
    expect(second.stats.filesRead).toBe(2)
    expect(second.snapnode).toMatchObject({ parent: first.snapnode.id, seq: 2 })

    // The stat cache survives a restart of the node. It is written out at most every
    // STAT_CACHE_SAVE_MS (it was at the first snapshot): the two files changed since are read again.
    const restarted = await makeNode(home, nodeIdOf(1), node.root)
    const third = await restarted.snapshotter.snapshot({ epoch: 1 })
    expect(third.changed).toBe(false)
    expect(third.stats.filesRead).toBe(2)
    expect((await restarted.snapshotter.snapshot({ epoch: 1 })).stats.filesRead).toBe(0)
  })

  it.each([
    ['knowing the previous manifest', true],
    ['scanning the target', false]
  ])('an in-place update (%s) touches only changed files and removes deleted ones', async (_how, withPrevious) => {
    const home = await tempDir()
    const node = await makeNode(home, nodeIdOf(1))
    await buildTree(node.root)
    for (let i = 0; i < 20; i++) await writeFile(join(node.root, `n${i}`), `file ${i}`)
    const first = await node.snapshotter.snapshot({ epoch: 1 })
    const target = join(home, 'replica')
    await checkout({ chunks: node.chunks, manifest: first.manifest, target, mode: 'fresh' })

    await writeFile(join(node.root, 'n3'), 'changed content')
    await rm(join(node.root, 'n4'))
    await rm(join(node.root, 'empty-dir'), { recursive: true })
    await mkdir(join(node.root, 'new-empty'))
    await rm(join(node.root, 'link-to-hello'))
    await symlink('empty', join(node.root, 'link-to-hello'))
    // A file that becomes a folder with a file in it.
    await rm(join(node.root, 'n5'))
    await mkdir(join(node.root, 'n5'))
    await writeFile(join(node.root, 'n5', 'inner'), 'inside')
    const second = await node.snapshotter.snapshot({ epoch: 1 })
    const stats = await checkout({ chunks: node.chunks, manifest: second.manifest, target, mode: 'in-place', ...(withPrevious ? { previous: first.manifest } : {}) })
    expect(stats.filesWritten).toBe(2)
    expect(stats.removed).toBe(3)
    await expectSameTree(node.root, target)
  })

  it('refuses to check out a manifest that would escape, writing nothing', async () => {
    const home = await tempDir()
    const node = await makeNode(home, nodeIdOf(1))
    const target = join(home, 'target')
    const manifest = { entries: [{ path: '../evil', kind: 'file' as const, mode: 0o644, mtimeMs: 0, size: 0, chunks: [] }] }
    await expect(checkout({ chunks: node.chunks, manifest, target, mode: 'fresh' })).rejects.toMatchObject({ code: 'BAD_MANIFEST' })
    expect(await describeTree(home)).not.toHaveProperty('evil')
  })

  it('stashes keep snapshots under a name across restarts and protect them from deletion', async () => {
    const home = await tempDir()
    const node = await makeNode(home, nodeIdOf(1))
    await writeFile(join(node.root, 'a'), 'a')
    const { snapnode } = await node.snapshotter.snapshot({ epoch: 1 })
    await node.snapshots.stash('lost-split-2', [snapnode.id])
    const again = new SnapshotStore(node.snapshots.dir, node.chunks)
    await again.open()
    expect(again.stashes()).toEqual({ 'lost-split-2': [snapnode.id] })
    await expect(again.delete(snapnode.id)).rejects.toMatchObject({ code: 'BAD_ARGUMENT' })
    await again.unstash('lost-split-2')
    await again.delete(snapnode.id)
    expect(again.has(snapnode.id)).toBe(false)
    expect(again.lineage(null).nodes).toContainEqual(expect.objectContaining({ id: snapnode.id }))
  })
})

describe('snapshots of a live folder', () => {
  it('a file changed while it is read is read again, so the snapshot holds its new content whole', async () => {
    const home = await tempDir()
    const base = await makeNode(home, nodeIdOf(1))
    const { readFile } = await import('node:fs/promises')
    await writeFile(join(base.root, 'db'), pseudoRandom(300_000))
    const reads: number[] = []
    const snapshotter = snapshotterOf(base, {
      onRead: async (path, attempt) => {
        reads.push(attempt)
        if (path === 'db' && attempt === 0) await writeFile(join(base.root, 'db'), pseudoRandom(250_000))
      }
    })
    const { snapnode } = await snapshotter.snapshot({ epoch: 1 })
    expect(reads).toEqual([0, 1])
    const target = join(home, 'out')
    await checkout({ chunks: base.chunks, manifest: await base.snapshots.readManifest(snapnode.id), target, mode: 'fresh' })
    expect((await readFile(join(target, 'db'))).equals(await readFile(join(base.root, 'db')))).toBe(true)
  })

  it('a file replaced by a FIFO or a symlink after the listing is not read through, and the snapshot neither hangs nor commits', async () => {
    const home = await tempDir()
    const node = await makeNode(home, nodeIdOf(1))
    await writeFile(join(home, 'secret'), 'outside the volume')
    for (const swap of ['fifo', 'symlink'] as const) {
      await writeFile(join(node.root, 'a'), 'first')
      await writeFile(join(node.root, 'z'), 'last')
      // One file at a time, in order: 'z' is swapped after 'a' was read, before 'z' is opened.
      const read: string[] = []
      const snapshotter = snapshotterOf(node, {
        readConcurrency: 1,
        onRead: async (path) => {
          read.push(path)
          if (path !== 'a') return
          await rm(join(node.root, 'z'))
          if (swap === 'fifo') execFileSync('mkfifo', [join(node.root, 'z')])
          else await symlink(join(home, 'secret'), join(node.root, 'z'))
        }
      })
      const before = node.snapshots.list().length
      // A plain open of a FIFO would wait for a writer that never comes, holding the event loop.
      await expect(snapshotter.snapshot({ epoch: 1 })).rejects.toMatchObject({ code: 'FILE_CHANGING' })
      expect(read).toEqual(['a'])
      expect(node.snapshots.list().length).toBe(before)
      // The next listing sees what is there now and leaves both out (a FIFO is no file, the link
      // leaves the volume); nothing was read through the link.
      const next = await snapshotter.snapshot({ epoch: 1 })
      expect(next.manifest.entries.map((e) => e.path)).toEqual(['a'])
      expect(next.stats.skipped.map((e) => e.path)).toEqual(['z'])
      expect(node.chunks.has(chunkHash(Buffer.from('outside the volume')))).toBe(false)
      await rm(join(node.root, 'z'))
    }
  })

  it('reads a just-written file again next time only while its timestamps cannot yet tell a later write from it', async () => {
    const home = await tempDir()
    const node = await makeNode(home, nodeIdOf(1))
    const racyMs = 2500
    const snapshotter = snapshotterOf(node, { racyMs })
    const now = Date.now()
    await writeFile(join(node.root, 'fine.txt'), 'a')
    await writeFile(join(node.root, 'whole-second.txt'), 'b')
    await writeFile(join(node.root, 'future.txt'), 'c')
    // Sub-second timestamps a little in the past: a clock fine enough to tell the next write.
    await utimes(join(node.root, 'fine.txt'), (now - 300.5) / 1000, (now - 300.5) / 1000)
    // A whole second, as a file system keeping only seconds would stamp it: could be "now".
    const second = Math.floor(now / 1000)
    await utimes(join(node.root, 'whole-second.txt'), second, second)
    // Stamped ahead of this clock (another machine's, say): racy until this clock catches up.
    await utimes(join(node.root, 'future.txt'), (now + 60_000) / 1000, (now + 60_000) / 1000)
    // ctime is stamped by the kernel at the utimes call: let it age past the fine window.
    await new Promise((resolve) => setTimeout(resolve, FINE_RACY_MS + 50))
    await snapshotter.snapshot({ epoch: 1 })
    // Nothing reported changed: only the files whose last read was racy are looked at again.
    const next = await snapshotter.snapshot({ epoch: 1, changed: [] })
    expect(next.stats.filesRead).toBe(2)
    // Once the whole second is older than its window, one more read settles it.
    await new Promise((resolve) => setTimeout(resolve, second * 1000 + racyMs + 20 - Date.now()))
    expect((await snapshotter.snapshot({ epoch: 1, changed: [] })).stats.filesRead).toBe(2)
    expect((await snapshotter.snapshot({ epoch: 1, changed: [] })).stats.filesRead).toBe(1)
  })

  it('gives up with FILE_CHANGING on a file that never stops changing, committing nothing', async () => {
    const home = await tempDir()
    const base = await makeNode(home, nodeIdOf(1))
    await writeFile(join(base.root, 'log'), 'x')
    const snapshotter = snapshotterOf(base, {
      maxRereads: 2,
      onRead: (_path, attempt) => appendFile(join(base.root, 'log'), `line ${attempt}\n`)
    })
    await expect(snapshotter.snapshot({ epoch: 1 })).rejects.toMatchObject({ code: 'FILE_CHANGING' })
    expect(base.snapshots.list()).toEqual([])
  })
})

describe('in-place update of a large file', () => {
  it('reuses unchanged parts of the old file, and never copies a part of it that does not match', async () => {
    const home = await tempDir()
    const node = await makeNode(home, nodeIdOf(1))
    const { readFile, open } = await import('node:fs/promises')
    // Larger than one piece (PIECE_BYTES), so the old file is read piece by piece.
    const big = pseudoRandom(PIECE_BYTES * 2 + 1_000_000)
    await writeFile(join(node.root, 'big'), big)
    const first = await node.snapshotter.snapshot({ epoch: 1 })
    const target = join(home, 'replica')
    await checkout({ chunks: node.chunks, manifest: first.manifest, target, mode: 'fresh' })

    const mid = PIECE_BYTES + 500_000
    await writeFile(join(node.root, 'big'), Buffer.concat([big.subarray(0, mid), pseudoRandom(70_000), big.subarray(mid)]))
    const second = await node.snapshotter.snapshot({ epoch: 1 })
    // Damage the replica's old copy near its start and near its end: those parts must come from
    // the chunk store.
    const fh = await open(join(target, 'big'), 'r+')
    await fh.write(Buffer.alloc(5000, 0x55), 0, 5000, 100)
    await fh.write(Buffer.alloc(10, 0x55), 0, 10, big.length - 20_000)
    await fh.close()
    const fromStore: string[] = []
    const readManyInto = node.chunks.readManyInto.bind(node.chunks)
    node.chunks.readManyInto = (hashes, into) => {
      fromStore.push(...hashes)
      return readManyInto(hashes, into)
    }
    const stats = await checkout({ chunks: node.chunks, manifest: second.manifest, previous: first.manifest, target, mode: 'in-place' })
    expect(stats.filesWritten).toBe(1)
    expect((await readFile(join(target, 'big'))).equals(await readFile(join(node.root, 'big')))).toBe(true)
    await expectSameTree(node.root, target)
    // From the store: the new chunks and the two damaged ones (one each, unless a write straddles
    // a cut); everything else came from the old file.
    const changed = second.stats.newChunks
    expect(fromStore.length).toBeGreaterThanOrEqual(changed + 2)
    expect(fromStore.length).toBeLessThanOrEqual(changed + 4)
    const chunkCount = second.manifest.entries.find((e) => e.path === 'big')!
    expect(chunkCount.kind === 'file' && chunkCount.chunks.length).toBeGreaterThan(changed + 100)
  })

  it('an insert and an overwrite in a large file are written where they are, not the whole file again', async () => {
    const home = await tempDir()
    const node = await makeNode(home, nodeIdOf(1))
    const { readFile, open, stat } = await import('node:fs/promises')
    const big = pseudoRandom(8 * 1024 * 1024)
    const other = pseudoRandom(4 * 1024 * 1024)
    await writeFile(join(node.root, 'big'), big)
    await writeFile(join(node.root, 'other'), other)
    const first = await node.snapshotter.snapshot({ epoch: 1 })
    const target = join(home, 'replica')
    await checkout({ chunks: node.chunks, manifest: first.manifest, target, mode: 'fresh' })
    const inodes = [(await stat(join(target, 'big'))).ino, (await stat(join(target, 'other'))).ino]
    // An insert three quarters in, and an overwrite in the middle of the other file.
    const at = 6 * 1024 * 1024
    await writeFile(join(node.root, 'big'), Buffer.concat([big.subarray(0, at), pseudoRandom(50_000), big.subarray(at)]))
    const fh = await open(join(node.root, 'other'), 'r+')
    await fh.write(pseudoRandom(100_000), 0, 100_000, 2 * 1024 * 1024)
    await fh.close()
    const second = await node.snapshotter.snapshot({ epoch: 1 })
    const stats = await checkout({ chunks: node.chunks, manifest: second.manifest, previous: first.manifest, target, mode: 'in-place' })
    expect(stats.filesWritten).toBe(2)
    // The insert rewrote the last quarter or so, the overwrite a few chunks.
    expect(stats.bytesWritten).toBeLessThan(2.5 * 1024 * 1024 + 50_000 + 4 * 128 * 1024)
    expect([(await stat(join(target, 'big'))).ino, (await stat(join(target, 'other'))).ino]).toEqual(inodes)
    for (const name of ['big', 'other']) expect((await readFile(join(target, name))).equals(await readFile(join(node.root, name)))).toBe(true)
    await expectSameTree(node.root, target)
    // A file cut shorter is cut on disk too.
    await writeFile(join(node.root, 'big'), big.subarray(0, 7 * 1024 * 1024))
    const third = await node.snapshotter.snapshot({ epoch: 1 })
    await checkout({ chunks: node.chunks, manifest: third.manifest, previous: second.manifest, target, mode: 'in-place' })
    expect((await stat(join(target, 'big'))).ino).toBe(inodes[0])
    await expectSameTree(node.root, target)
  })

  it('an insert in the middle of a large file rewrites it from the insert on, in place', async () => {
    const home = await tempDir()
    const node = await makeNode(home, nodeIdOf(1))
    const { stat } = await import('node:fs/promises')
    const big = pseudoRandom(8 * 1024 * 1024)
    await writeFile(join(node.root, 'big'), big)
    const first = await node.snapshotter.snapshot({ epoch: 1 })
    const target = join(home, 'replica')
    await checkout({ chunks: node.chunks, manifest: first.manifest, target, mode: 'fresh' })
    const inode = (await stat(join(target, 'big'))).ino
    const at = 4 * 1024 * 1024 + 1234
    await writeFile(join(node.root, 'big'), Buffer.concat([big.subarray(0, at), pseudoRandom(300_000), big.subarray(at)]))
    const second = await node.snapshotter.snapshot({ epoch: 1 })
    const stats = await checkout({ chunks: node.chunks, manifest: second.manifest, previous: first.manifest, target, mode: 'in-place' })
    // The second half and the insert, give or take a chunk around it: not the whole 8.3 MiB.
    expect(stats.bytesWritten).toBeGreaterThan(4 * 1024 * 1024)
    expect(stats.bytesWritten).toBeLessThan(4 * 1024 * 1024 + 300_000 + 4 * 128 * 1024)
    expect((await stat(join(target, 'big'))).ino).toBe(inode)
    await expectSameTree(node.root, target)
  })

  it('an in-place update cut short leaves a file no later checkout trusts', async () => {
    const home = await tempDir()
    const node = await makeNode(home, nodeIdOf(1))
    const { readFile, stat } = await import('node:fs/promises')
    const big = pseudoRandom(12 * 1024 * 1024)
    await writeFile(join(node.root, 'big'), big)
    const first = await node.snapshotter.snapshot({ epoch: 1 })
    const target = join(home, 'replica')
    await checkout({ chunks: node.chunks, manifest: first.manifest, target, mode: 'fresh' })
    const at = 7 * 1024 * 1024
    await writeFile(join(node.root, 'big'), Buffer.concat([big.subarray(0, at), pseudoRandom(300_000), big.subarray(at)]))
    const second = await node.snapshotter.snapshot({ epoch: 1 })
    // The update fails after writing part of the file (a chunk store read fails on the second piece).
    const readManyInto = node.chunks.readManyInto.bind(node.chunks)
    let reads = 0
    node.chunks.readManyInto = (hashes, into) => {
      if (++reads === 2) throw new Error('disk gone')
      return readManyInto(hashes, into)
    }
    const { IN_PLACE_MTIME_S } = await import('../../src/volume/checkout.js')
    const { PIECE_BYTES: piece } = await import('../../src/volume/checkout.js')
    expect(5 * 1024 * 1024).toBeGreaterThan(piece) // the rewrite takes more than one piece
    await expect(checkout({ chunks: node.chunks, manifest: second.manifest, previous: first.manifest, target, mode: 'in-place' })).rejects.toThrow('disk gone')
    expect(Math.round((await stat(join(target, 'big'))).mtimeMs / 1000)).toBe(IN_PLACE_MTIME_S)
    node.chunks.readManyInto = readManyInto
    // A takeover (the whole folder looked at, size and mtime decide) puts either version back whole.
    await checkout({ chunks: node.chunks, manifest: first.manifest, target, mode: 'in-place', scanAll: true })
    expect((await readFile(join(target, 'big'))).equals(big)).toBe(true)
    await checkout({ chunks: node.chunks, manifest: second.manifest, target, mode: 'in-place', scanAll: true })
    await expectSameTree(node.root, target)
  })

  it('refuses a chunk damaged in the store instead of writing it out', async () => {
    const home = await tempDir()
    const node = await makeNode(home, nodeIdOf(1))
    const data = pseudoRandom(2_000_000)
    await writeFile(join(node.root, 'big'), data)
    const { manifest } = await node.snapshotter.snapshot({ epoch: 1 })
    // Flip one byte in the middle of the pack, inside some chunk of 'big'.
    const packs = (await readdir(join(node.chunks.dir, 'packs'))).filter((n) => n.endsWith('.pack'))
    const { open } = await import('node:fs/promises')
    const fh = await open(join(node.chunks.dir, 'packs', packs[0]!), 'r+')
    const byte = Buffer.alloc(1)
    await fh.read(byte, 0, 1, 1_000_000)
    byte[0] ^= 0xff
    await fh.write(byte, 0, 1, 1_000_000)
    await fh.close()
    const reopened = await makeNode(home, nodeIdOf(1))
    await expect(checkout({ chunks: reopened.chunks, manifest, target: join(home, 'out'), mode: 'fresh' })).rejects.toMatchObject({ code: 'BAD_CHUNK' })
  })
})
