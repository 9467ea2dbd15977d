import { describe, expect, it } from 'vitest'
import { chmod, mkdir, rename, rm, symlink, utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { changedPath } from '../../src/volume/relist.js'
import { buildTree, makeNode, nodeIdOf, snapshotterOf, tempDir } from './helpers.js'

/** A second, independent node that lists `root` whole: what a snapshot must contain. */
async function wholeListing(root: string) {
  const other = await makeNode(await tempDir(), nodeIdOf(9), root)
  const r = await other.snapshotter.snapshot({ epoch: 1 })
  expect(r.stats.listing).toBe('whole')
  return r.manifest
}

/** xorshift: the same operations on every run. */
function prng(seed: number) {
  let x = seed
  return (n: number) => {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    return (x >>> 0) % n
  }
}

describe('snapshots from the paths a watch reported', () => {
  it('after each of 40 rounds of random changes, lists exactly what a whole listing finds', async () => {
    const home = await tempDir()
    const node = await makeNode(home, nodeIdOf(1))
    const root = node.root
    await buildTree(root)
    await node.snapshotter.snapshot({ epoch: 1 })
    const rand = prng(0x5eed)
    let clock = 1_600_000_000
    const files = new Set(['hello.txt', 'sub/a.txt', 'sub/deeper/b.bin'])
    const dirs = new Set(['sub', 'sub/deeper', 'empty-dir'])
    const pick = (set: Set<string>) => [...set][rand(set.size)]
    const stamp = (p: string) => utimes(join(root, p), ++clock, clock)
    let changedListings = 0
    for (let round = 0; round < 40; round++) {
      const reported: string[] = []
      for (let op = 0, n = 1 + rand(4); op < n; op++) {
        const kind = rand(9)
        const dir = dirs.size > 0 && rand(3) > 0 ? pick(dirs)! : ''
        const at = (name: string) => (dir ? `${dir}/${name}` : name)
        if (kind === 0 || kind === 1 || files.size === 0) {
          const p = at(`f${round}-${op}.txt`)
          await writeFile(join(root, p), `new ${round} ${op}\n`.repeat(1 + rand(50)))
          await stamp(p)
          files.add(p)
          reported.push(p)
        } else if (kind === 2) {
          const p = pick(files)!
          await writeFile(join(root, p), `changed ${round}\n`.repeat(1 + rand(80)))
          await stamp(p)
          reported.push(p)
        } else if (kind === 3) {
          const p = pick(files)!
          await rm(join(root, p))
          files.delete(p)
          reported.push(p)
        } else if (kind === 4) {
          const p = at(`d${round}-${op}`)
          await mkdir(join(root, p, 'inner'), { recursive: true })
          await writeFile(join(root, p, 'inner', 'x.txt'), `x ${round}`)
          dirs.add(p)
          dirs.add(`${p}/inner`)
          files.add(`${p}/inner/x.txt`)
          // A watch may report only the new folder, not what was made inside it before it was watched.
          reported.push(p)
        } else if (kind === 5 && dirs.size > 0) {
          const p = pick(dirs)!
          await rm(join(root, p), { recursive: true, force: true })
          for (const s of [dirs, files]) for (const q of [...s]) if (q === p || q.startsWith(`${p}/`)) s.delete(q)
          reported.push(p)
        } else if (kind === 6 && files.size > 0) {
          const from = pick(files)!
          const to = at(`moved${round}-${op}.txt`)
          if (from === to) continue
          await rename(join(root, from), join(root, to))
          files.delete(from)
          files.add(to)
          reported.push(from, to)
        } else if (kind === 7 && dirs.size > 0) {
          const from = pick(dirs)!
          const to = `renamed${round}-${op}`
          await rename(join(root, from), join(root, to))
          for (const s of [dirs, files]) {
            for (const q of [...s]) {
              if (q === from || q.startsWith(`${from}/`)) {
                s.delete(q)
                s.add(to + q.slice(from.length))
              }
            }
          }
          reported.push(from, to)
        } else if (files.size > 0) {
          const p = pick(files)!
          await chmod(join(root, p), rand(2) ? 0o600 : 0o755)
          reported.push(p)
        }
      }
      const r = await node.snapshotter.snapshot({ epoch: 1, changed: reported })
      if (r.stats.listing === 'changed') changedListings++
      expect(r.manifest, `round ${round}: ${reported.join(', ')}`).toEqual(await wholeListing(root))
    }
    expect(changedListings).toBe(40)
  })

  it('finds names that came or went in a reported folder, even when the names were not reported', async () => {
    const node = await makeNode(await tempDir(), nodeIdOf(1))
    await mkdir(join(node.root, 'sub'))
    await writeFile(join(node.root, 'sub/old.txt'), 'old')
    await node.snapshotter.snapshot({ epoch: 1 })
    await rm(join(node.root, 'sub/old.txt'))
    await writeFile(join(node.root, 'sub/new.txt'), 'new')
    await mkdir(join(node.root, 'sub/newdir'))
    await writeFile(join(node.root, 'sub/newdir/inside.txt'), 'inside')
    const r = await node.snapshotter.snapshot({ epoch: 1, changed: ['sub'] })
    expect(r.stats.listing).toBe('changed')
    expect(r.manifest.entries.map((e) => e.path)).toEqual(['sub', 'sub/new.txt', 'sub/newdir', 'sub/newdir/inside.txt'])
    expect(r.manifest).toEqual(await wholeListing(node.root))
  })

  it('takes an unreported change from the parent (the periodic whole listing finds it)', async () => {
    const node = await makeNode(await tempDir(), nodeIdOf(1))
    await writeFile(join(node.root, 'seen.txt'), 'one')
    await writeFile(join(node.root, 'unseen.txt'), 'one')
    const first = await node.snapshotter.snapshot({ epoch: 1 })
    await writeFile(join(node.root, 'seen.txt'), 'two!')
    await writeFile(join(node.root, 'unseen.txt'), 'two!')
    await utimes(join(node.root, 'unseen.txt'), 1_700_000_000, 1_700_000_000)
    const partial = await node.snapshotter.snapshot({ epoch: 1, changed: ['seen.txt'] })
    const sizes = (m: typeof partial.manifest) => Object.fromEntries(m.entries.map((e) => [e.path, e.size]))
    expect(partial.stats.listing).toBe('changed')
    expect(sizes(partial.manifest)).toEqual({ 'seen.txt': 4, 'unseen.txt': 3 })
    expect(partial.snapnode.parent).toBe(first.snapnode.id)
    const whole = await node.snapshotter.snapshot({ epoch: 1 })
    expect(whole.stats.listing).toBe('whole')
    expect(sizes(whole.manifest)).toEqual({ 'seen.txt': 4, 'unseen.txt': 4 })
  })

  it('looks again at files whose last read was racy, even unreported', async () => {
    const home = await tempDir()
    const node = await makeNode(home, nodeIdOf(1))
    // Every read is racy: the file was modified within the last minute.
    const snapshotter = snapshotterOf(node, { racyMs: 60_000, fineRacyMs: 60_000 })
    await writeFile(join(node.root, 'log.txt'), 'aaaa')
    await writeFile(join(node.root, 'other.txt'), 'b')
    await snapshotter.snapshot({ epoch: 1 })
    await writeFile(join(node.root, 'log.txt'), 'AAAA')
    const r = await snapshotter.snapshot({ epoch: 1, changed: [] })
    expect(r.stats.listing).toBe('changed')
    expect(r.changed).toBe(true)
    expect(r.manifest).toEqual(await wholeListing(node.root))
  })

  it('drops what was below a folder that became a symlink, and refuses a link that escapes', async () => {
    const home = await tempDir()
    const node = await makeNode(home, nodeIdOf(1))
    await mkdir(join(node.root, 'data/deep'), { recursive: true })
    await writeFile(join(node.root, 'data/deep/file.txt'), 'x')
    await node.snapshotter.snapshot({ epoch: 1 })
    // Outside the volume, the same names: nothing may be looked up through the link.
    await mkdir(join(home, 'outside/deep'), { recursive: true })
    await writeFile(join(home, 'outside/deep/file.txt'), 'secret')
    await rm(join(node.root, 'data'), { recursive: true })
    await symlink(join(home, 'outside'), join(node.root, 'data'))
    const r = await node.snapshotter.snapshot({ epoch: 1, changed: ['data/deep/file.txt'] })
    expect(r.stats.listing).toBe('changed')
    expect(r.manifest.entries).toEqual([])
    expect(r.stats.skipped.map((s) => s.path)).toEqual(['data'])
  })

  it('drops what was below a folder that became a file, when only the folder is reported', async () => {
    const node = await makeNode(await tempDir(), nodeIdOf(1))
    await mkdir(join(node.root, 'sub/deeper'), { recursive: true })
    await writeFile(join(node.root, 'sub/deeper/a.txt'), 'a')
    await writeFile(join(node.root, 'sub/b.txt'), 'b')
    await node.snapshotter.snapshot({ epoch: 1 })
    await rm(join(node.root, 'sub'), { recursive: true })
    await writeFile(join(node.root, 'sub'), 'now a file')
    const r = await node.snapshotter.snapshot({ epoch: 1, changed: ['sub'] })
    expect(r.stats.listing).toBe('changed')
    expect(r.manifest.entries.map((e) => `${e.kind} ${e.path}`)).toEqual(['file sub'])
  })

  it('lists the whole tree when a reported path is unusable or the parent is not the last listing', async () => {
    const node = await makeNode(await tempDir(), nodeIdOf(1))
    await writeFile(join(node.root, 'a.txt'), 'a')
    const first = await node.snapshotter.snapshot({ epoch: 1 })
    for (const bad of ['../outside', '/etc/passwd', '', 'a/./b']) {
      await writeFile(join(node.root, 'a.txt'), `a${bad}`)
      const r = await node.snapshotter.snapshot({ epoch: 1, changed: [bad] })
      expect(r.stats.listing, bad).toBe('whole')
      expect(r.manifest).toEqual(await wholeListing(node.root))
    }
    await writeFile(join(node.root, 'b.txt'), 'b')
    const fromOld = await node.snapshotter.snapshot({ epoch: 1, parent: first.snapnode.id, changed: [] })
    expect(fromOld.stats.listing).toBe('whole')
    expect(fromOld.manifest.entries.map((e) => e.path)).toEqual(['a.txt', 'b.txt'])
  })

  it('reads reported paths as relative paths with / separators', () => {
    expect(changedPath('sub/file.txt')).toBe('sub/file.txt')
    expect(changedPath('../x')).toBeNull()
    expect(changedPath('/x')).toBeNull()
    expect(changedPath('a//b')).toBeNull()
  })
})
