import { afterEach, describe, expect, it } from 'vitest'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { mkdir, mkdtemp, rename, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { TreeWatch } from '../../src/node/tree-watch.js'
import { waitFor } from '../helpers/wait.js'

const cleanup: Array<() => Promise<unknown> | void> = []
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c()
})

async function watched() {
  const root = await mkdtemp(join(tmpdir(), 'shoal-watch-'))
  const seen = new Set<string | null>()
  const errors: Error[] = []
  await mkdir(join(root, 'old/deep'), { recursive: true })
  await writeFile(join(root, 'old/deep/x.txt'), 'x')
  const tw = new TreeWatch(root, (p) => seen.add(p), (e) => errors.push(e))
  tw.start()
  cleanup.push(() => rm(root, { recursive: true, force: true }), () => tw.close())
  const saw = (...paths: string[]) => waitFor(() => paths.every((p) => seen.has(p)), `the watch to report ${paths.join(', ')}: got ${[...seen].join(', ')}`, 5000, 10)
  return { root, seen, errors, saw }
}

describe('tree watch', () => {
  it('reports changes anywhere below the root, relative to it, without listing what was there at the start', async () => {
    const w = await watched()
    expect([...w.seen]).toEqual([])
    await writeFile(join(w.root, 'old/deep/x.txt'), 'changed')
    await writeFile(join(w.root, 'top.txt'), 'new')
    await w.saw('old/deep/x.txt', 'top.txt')
    await rm(join(w.root, 'old/deep/x.txt'))
    await w.saw('old/deep/x.txt')
    expect(w.errors).toEqual([])
  })

  it('watches a folder that appears, and reports what was put in it before its watch was set', async () => {
    const w = await watched()
    // Made and filled within one turn of the event loop: before any event is handled.
    mkdirSync(join(w.root, 'new/inner'), { recursive: true })
    writeFileSync(join(w.root, 'new/inner/early.txt'), 'early')
    await w.saw('new', 'new/inner', 'new/inner/early.txt')
    await writeFile(join(w.root, 'new/inner/late.txt'), 'late')
    await w.saw('new/inner/late.txt')
    // A folder renamed in is new under its new name; a folder replaced under the same name is watched anew.
    await rename(join(w.root, 'old'), join(w.root, 'moved'))
    await w.saw('old', 'moved')
    await writeFile(join(w.root, 'moved/deep/y.txt'), 'y')
    await w.saw('moved/deep/y.txt')
    // Replaced within one turn: the old folder's watch must not stand in for the new one's.
    rmSync(join(w.root, 'new'), { recursive: true })
    mkdirSync(join(w.root, 'new'))
    await w.saw('new')
    w.seen.clear()
    await writeFile(join(w.root, 'new/again.txt'), 'again')
    await w.saw('new/again.txt')
  })

  it('does not follow a symlink to a folder outside', async () => {
    const w = await watched()
    const outside = await mkdtemp(join(tmpdir(), 'shoal-outside-'))
    cleanup.push(() => rm(outside, { recursive: true, force: true }))
    await symlink(outside, join(w.root, 'link'))
    await w.saw('link')
    await writeFile(join(outside, 'secret.txt'), 's')
    await writeFile(join(w.root, 'marker.txt'), 'm')
    await w.saw('marker.txt')
    expect(w.seen.has('link/secret.txt')).toBe(false)
  })
})
