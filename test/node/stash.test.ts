import { afterEach, describe, expect, it } from 'vitest'
import { readFileSync, writeFileSync, existsSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { shoal, startCluster, type NodeProc } from '../helpers/processes.js'
import { tempDirsPerTest } from '../helpers/temp-dirs.js'
import { request } from '../helpers/http.js'
import { waitForReplicated } from '../helpers/wait.js'

const COUNTER = fileURLToPath(new URL('../../examples/http-counter/server.mjs', import.meta.url))
const HOST = 'stash.test'

let cluster: Awaited<ReturnType<typeof startCluster>> | null = null
const tempDir = tempDirsPerTest()
afterEach(async () => {
  await cluster?.close()
  cluster = null
})

const lastJson = (stdout: string) => JSON.parse(stdout.trim().split('\n').at(-1)!)
async function json(args: string[]) {
  const r = await shoal(args)
  if (r.code !== 0) throw new Error(`shoal ${args.join(' ')} failed (${r.code}): ${r.stderr}`)
  return lastJson(r.stdout)
}

/** Writes unique bodies through the given fronts in turn until stopped; remembers the 201s. */
function writer(ports: number[]) {
  const acked: string[] = []
  let n = 0
  let stopped = false
  const loop = (async () => {
    while (!stopped) {
      const body = `w-${String(++n).padStart(6, '0')}`
      const port = ports[n % ports.length]!
      const r = await request(port, HOST, { method: 'POST', path: '/records', body, timeoutMs: 3000 }).catch(() => null)
      if (r?.status === 201) acked.push(body)
      await new Promise((res) => setTimeout(res, 40))
    }
  })()
  return {
    acked,
    stop: async () => {
      stopped = true
      await loop
    }
  }
}

describe('stashes: a partition heals with every acknowledged write in the winner or the stash', () => {
  it('partition drill under outside writes; stash ls from any node, checkout on the holder only, drop with --yes', async () => {
    cluster = await startCluster()
    const nodes = ['a', 'b', 'c'].map((n) => cluster!.start(n))
    for (const n of nodes) await cluster.waitAlive(n, ['a', 'b', 'c'])
    const ports = new Map<string, number>()
    for (const n of (await cluster.status(nodes[0]!)).nodes) ports.set(n.name, n.httpPort)
    const byName = (name: string) => nodes.find((n) => n.name === name)!
    await json(['app', 'add', 'counter', '--home', nodes[0]!.home, '--json', '--cmd', `node ${COUNTER}`, '--http-host', HOST, '--health', 'http:/health', '--replicas', '3'])
    const app = async (n: NodeProc = nodes[0]!) => (await json(['apps', '--home', n.home, '--json'])).apps[0]
    await waitForReplicated(app, 2)
    const before = await app()
    const old = byName(before.master)
    const other = nodes.find((n) => n !== old)!

    // Clients of both halves keep writing through every front, the old master's included.
    const load = writer([...ports.values()])
    const r = await shoal(['drill', 'failover', 'counter', '--mode', 'partition', '--duration', '4', '--home', other.home, '--json'])
    await load.stop()
    expect(r.code, r.stderr).toBe(0)
    const report = lastJson(r.stdout)
    expect(report.stash).toMatch(new RegExp(`^counter-e${before.epoch}-${old.name}-\\d{14}$`))

    const winner = (await request(ports.get(report.to)!, HOST, { path: '/records' })).body
    const missing = load.acked.filter((b) => !winner.includes(`"${b}"`))

    // Listed from a node that does not hold it.
    const listed = await json(['stash', 'ls', '--json', '--home', other.home])
    expect(listed.unreachable).toEqual([])
    const stash = listed.stashes.find((s: { id: string }) => s.id === report.stash)
    expect(stash).toMatchObject({ app: 'counter', node: old.name, epoch: before.epoch })
    expect(stash.snapshots).toBeGreaterThan(0)
    expect(stash.bytes).toBeGreaterThan(0)
    const table = await shoal(['stash', 'ls', '--home', nodes[0]!.home])
    expect(table.stdout).toContain(report.stash)

    // Checkout runs only where the stash is; elsewhere the sentence names the holder.
    const out = tempDir('shoal-stash-')
    const wrong = await shoal(['stash', 'checkout', report.stash, join(out, 'x'), '--home', other.home])
    expect(wrong.code).toBe(9)
    expect(wrong.stderr).toContain(`held by ${old.name}`)
    const co = await shoal(['stash', 'checkout', report.stash, join(out, 'data'), '--home', old.home])
    expect(co.code, co.stderr).toBe(0)
    const stashed = readFileSync(join(out, 'data', 'records.jsonl'), 'utf8')
    const lost = missing.filter((b) => !stashed.includes(`"${b}"`))
    console.log(`outside writes: ${load.acked.length} acknowledged, ${missing.length} only in the stash, ${lost.length} lost`)
    expect(lost).toEqual([])
    expect(missing.length).toBeGreaterThan(0)

    // A non-empty folder is refused; unknown ids are NOT_FOUND.
    writeFileSync(join(out, 'busy'), 'x')
    expect((await shoal(['stash', 'checkout', report.stash, out, '--home', old.home])).stderr).toMatch(/is not empty/)
    const unknown = await shoal(['stash', 'checkout', 'nope', join(out, 'y'), '--home', old.home])
    expect(unknown.code).toBe(9)
    expect(unknown.stderr).toMatch(/no stash called nope/)
    expect(existsSync(join(out, 'y'))).toBe(false)

    // Drop: refused without a terminal and without --yes; forwarded to the holder with --yes.
    const refused = await shoal(['stash', 'drop', report.stash, '--home', other.home])
    expect(refused.code).toBe(2)
    expect(refused.stderr).toMatch(/add --yes/)
    const dropped = await shoal(['stash', 'drop', report.stash, '--yes', '--home', other.home])
    expect(dropped.code, dropped.stderr).toBe(0)
    expect(dropped.stdout).toContain(`dropped stash ${report.stash} on ${old.name}`)
    expect((await json(['stash', 'ls', '--json', '--home', old.home])).stashes).toEqual([])
    expect((await shoal(['stash', 'drop', report.stash, '--yes', '--home', old.home])).stderr).toMatch(/no stash called/)
    for (const [args, message] of [
      [['stash'], /shoal stash takes ls, checkout or drop/],
      [['stash', 'checkout', 'x'], /needs ID and DIR/],
      [['stash', 'drop'], /needs an ID/]
    ] as const) {
      const res = await shoal([...args, '--home', old.home])
      expect(res.code).toBe(2)
      expect(res.stderr).toMatch(message)
    }
  }, 90_000)
})
