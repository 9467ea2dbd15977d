import { afterEach, describe, expect, it } from 'vitest'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SnapshotSchedule, type Scan } from '../../src/node/snapshot-schedule.js'

const cleanup: Array<() => Promise<void> | void> = []
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c()
})

/** A schedule on a fresh folder, recording every tick; `failNext` makes the next scan of reported paths throw. */
async function scheduled(fullScanMs = 60_000) {
  const dir = await mkdtemp(join(tmpdir(), 'shoal-sched-'))
  const ticks: Scan[] = []
  const errors: unknown[] = []
  let fail = false
  const schedule = new SnapshotSchedule(
    dir,
    40,
    async (scan) => {
      ticks.push(scan)
      if (fail && scan.scan && scan.changed !== null) {
        fail = false
        throw new Error('disk full')
      }
    },
    (err) => errors.push(err),
    fullScanMs
  )
  schedule.start()
  cleanup.push(() => rm(dir, { recursive: true, force: true }), () => schedule.stop())
  const waitFor = async (what: string, ok: (t: Scan) => boolean, from = ticks.length): Promise<Scan> => {
    const deadline = Date.now() + 5000
    for (;;) {
      const hit = ticks.slice(from).find(ok)
      if (hit) return hit
      if (Date.now() > deadline) throw new Error(`no tick ${what} within 5 s: ${JSON.stringify(ticks.slice(from))}`)
      await new Promise((r) => setTimeout(r, 20))
    }
  }
  return { dir, ticks, errors, waitFor, failNext: () => (fail = true) }
}

const changedHas = (...paths: string[]) => (t: Scan) => t.scan && t.changed !== null && paths.every((p) => t.changed!.includes(p))

describe('snapshot schedule', () => {
  it('lists the whole folder first, then scans only the paths the watch reported, and idles when nothing changed', async () => {
    const s = await scheduled()
    expect(await s.waitFor('listing everything', (t) => t.scan && t.changed === null, 0)).toEqual({ scan: true, changed: null })
    await s.waitFor('idle', (t) => !t.scan)
    await writeFile(join(s.dir, 'a.txt'), 'a')
    await s.waitFor('naming a.txt', changedHas('a.txt'))
    await mkdir(join(s.dir, 'sub'))
    // The watch starts watching a new folder in the same turn it reports it, so once a tick has
    // named it, a change inside it is seen too.
    await s.waitFor('naming sub', changedHas('sub'))
    const from = s.ticks.length
    await writeFile(join(s.dir, 'sub', 'b.txt'), 'b')
    await s.waitFor('naming sub/b.txt', changedHas('sub/b.txt'), from)
    expect(s.ticks.slice(from).filter((t) => t.scan && t.changed === null)).toEqual([])
  })

  it('lists the whole folder after a failed tick, and at least every fullScanMs', async () => {
    const s = await scheduled()
    await s.waitFor('idle', (t) => !t.scan, 0)
    s.failNext()
    await writeFile(join(s.dir, 'a.txt'), 'a')
    await s.waitFor('naming a.txt', changedHas('a.txt'))
    expect(s.errors.map((e) => (e as Error).message)).toEqual(['disk full'])
    await s.waitFor('listing everything after the failure', (t) => t.scan && t.changed === null)

    const periodic = await scheduled(300)
    await periodic.waitFor('idle', (t) => !t.scan, 0)
    await periodic.waitFor('a periodic whole listing', (t) => t.scan && t.changed === null)
  })
})
