import { afterEach, describe, expect, it } from 'vitest'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { shoal, startCluster, type NodeProc } from '../helpers/processes.js'
import { request } from '../helpers/http.js'
import { waitFor, waitForReplicated } from '../helpers/wait.js'

const COUNTER = fileURLToPath(new URL('../../examples/http-counter/server.mjs', import.meta.url))
const HOST = 'drill.test'

let cluster: Awaited<ReturnType<typeof startCluster>> | null = null
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

/** Three nodes, the counter app with a copy on each, running and replicated. */
async function threeNodes() {
  cluster = await startCluster()
  const nodes = ['a', 'b', 'c'].map((n) => cluster!.start(n))
  for (const n of nodes) await cluster.waitAlive(n, ['a', 'b', 'c'])
  await json(['app', 'add', 'counter', '--home', nodes[0]!.home, '--json', '--cmd', `node ${COUNTER}`, '--http-host', HOST, '--health', 'http:/health', '--replicas', '3'])
  const app = async (n: NodeProc = nodes[0]!) => (await json(['apps', '--home', n.home, '--json'])).apps.find((x: { name: string }) => x.name === 'counter')
  await waitForReplicated(app, 2)
  return { nodes, app, byName: (name: string) => nodes.find((n) => n.name === name)! }
}

/**
 * The probe's writes the master's app holds, read from the app itself through `via`'s front: a
 * check of "nothing lost" that does not take the drill's word for it (the probe is the only writer).
 */
async function drillWritesHeld(via: NodeProc): Promise<Set<string>> {
  const port = (await cluster!.status(via)).nodes.find((n) => n.name === via.name)!.httpPort
  const r = await request(port, HOST, { path: '/records' })
  expect(r.status).toBe(200)
  return new Set((JSON.parse(r.body).records as Array<{ body: string }>).map((x) => x.body))
}

describe('shoal drill failover on three real nodes', () => {
  it('crash: the master dies and comes back; a replica takes over, nothing acknowledged is lost, the old master rejoins as a replica', async () => {
    const { nodes, app, byName } = await threeNodes()
    const before = await app()
    const runner = nodes.find((n) => n.name !== before.master)!
    const r = await shoal(['drill', 'failover', 'counter', '--mode', 'crash', '--duration', '4', '--home', runner.home, '--json'])
    const report = lastJson(r.stdout)
    console.log('crash drill report', JSON.stringify(report))
    expect(r.code, r.stderr).toBe(0)
    expect(report).toMatchObject({ ok: true, mode: 'crash', from: before.master })
    expect(report.to).not.toBe(before.master)
    expect(report.writes.lost).toBe(0)
    expect(report.writes.acknowledged).toBeGreaterThan(20)
    // Every acknowledged write is in the new master's data or in the old master's stash, read
    // from the app and from a checkout of the stash.
    const held = await drillWritesHeld(runner)
    expect(held.size).toBeGreaterThanOrEqual(report.writes.acknowledged - report.writes.stashedOnly)
    if (report.stash !== null) {
      const dir = join(mkdtempSync(join(tmpdir(), 'shoal-drill-')), 'stash')
      await json(['stash', 'checkout', report.stash, dir, '--home', byName(report.from).home, '--json'])
      for (const line of readFileSync(join(dir, 'records.jsonl'), 'utf8').trim().split('\n')) held.add(JSON.parse(line).body)
      rmSync(dirname(dir), { recursive: true, force: true })
    }
    expect(held.size).toBeGreaterThanOrEqual(report.writes.acknowledged)
    expect(report.detectionMs).toBeGreaterThan(0)
    expect(report.detectionMs).toBeLessThan(5000)
    expect(report.recoveryMs).toBeGreaterThan(0)
    expect(report.placement.replicas).toContain(before.master)
    // The old master is a live replica again, seen from itself too.
    const after = await app(byName(before.master))
    expect(after.master).toBe(report.to)
    expect(after.epoch).toBeGreaterThan(before.epoch)
  }, 60_000)

  it('partition: both sides serve, the heal leaves one master and every acknowledged write in its data or in the stash', async () => {
    const { nodes, app, byName } = await threeNodes()
    const before = await app()
    const runner = byName(before.master)
    const r = await shoal(['drill', 'failover', 'counter', '--mode', 'partition', '--duration', '5', '--home', runner.home, '--json'])
    const report = lastJson(r.stdout)
    console.log('partition drill report', JSON.stringify(report))
    expect(r.code, r.stderr).toBe(0)
    expect(report).toMatchObject({ ok: true, mode: 'partition', from: before.master })
    expect(report.writes.lost).toBe(0)
    expect(report.stash).toMatch(/^counter-e\d+-/)
    expect(report.writes.stashedOnly).toBeGreaterThan(0)
    // One master, as every node sees it.
    const views = await Promise.all(nodes.map((n) => app(n)))
    expect(new Set(views.map((v) => v.master)).size).toBe(1)
    expect(views[0].master).not.toBe(before.master)
  }, 60_000)

  it('graceful: a planned promote loses nothing and fails no write; bad input gets a clear sentence', async () => {
    const { nodes, app } = await threeNodes()
    const home = nodes[1]!.home
    for (const [args, message] of [
      [['drill', 'failover', 'counter'], /--mode takes crash, partition or graceful/],
      [['drill', 'failover', 'counter', '--mode', 'meteor'], /--mode takes crash, partition or graceful, not "meteor"/],
      [['drill', 'failover', 'nothing', '--mode', 'crash'], /no app called nothing/],
      [['drill', 'failover', 'counter', '--mode', 'crash', '--duration', '0'], /--duration takes a positive number/],
      [['drill', 'failover', 'counter', '--mode', 'crash', '--probe-path', 'records'], /--probe-path must start with \//],
      [['drill', 'rehearse', 'counter', '--mode', 'crash'], /shoal drill takes failover, not "rehearse"/]
    ] as const) {
      const res = await shoal([...args, '--home', home])
      expect(res.code, res.stderr).not.toBe(0)
      expect(res.stderr).toMatch(message)
    }

    // An app without a replica has nothing to fail over to. It lives on counter's master, so a
    // crash or partition of that node would hit it too: refused without --whole-node.
    const counterMaster = (await app()).master as string
    await json(['app', 'add', 'solo', '--home', home, '--json', '--cmd', `node ${COUNTER}`, '--http-host', 'solo.test', '--health', 'http:/health', '--replicas', '1', '--pin', counterMaster])
    await waitFor(async () => (await json(['apps', '--home', home, '--json'])).apps.find((x: { name: string }) => x.name === 'solo')?.state === 'running', 'solo running', 20_000)
    const solo = await shoal(['drill', 'failover', 'solo', '--mode', 'crash', '--home', home])
    expect(solo.code).toBe(12)
    expect(solo.stderr).toMatch(/solo has no live replica to fail over to/)
    for (const mode of ['crash', 'partition']) {
      const hit = await shoal(['drill', 'failover', 'counter', '--mode', mode, '--home', home])
      expect(hit.code, hit.stderr).toBe(13)
      expect(hit.stderr).toMatch(new RegExp(`a ${mode} drill of counter hits other apps: ${counterMaster} .* as a whole, .*: solo\\. Move them off ${counterMaster} first, or run the drill with --whole-node`))
    }
    // Nothing was done: counter still runs where it did, with nothing stashed.
    expect((await app()).master).toBe(counterMaster)
    expect((await json(['stash', 'ls', '--home', home, '--json'])).stashes).toEqual([])

    const before = await app()
    const r = await shoal(['drill', 'failover', 'counter', '--mode', 'graceful', '--home', nodes[0]!.home, '--json'])
    const report = lastJson(r.stdout)
    console.log('graceful drill report', JSON.stringify(report))
    expect(r.code, r.stderr).toBe(0)
    expect(report).toMatchObject({ ok: true, mode: 'graceful', from: before.master, detectionMs: null, stash: null })
    expect(report.to).not.toBe(before.master)
    expect(report.writes).toMatchObject({ lost: 0, failed: 0 })
    expect(report.writes.acknowledged).toBeGreaterThan(0)
    expect((await drillWritesHeld(nodes[2]!)).size).toBeGreaterThanOrEqual(report.writes.acknowledged)
    expect((await app()).master).toBe(report.to)
  }, 60_000)
})
