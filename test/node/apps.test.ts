import { spawn } from 'node:child_process'
import { afterEach, describe, expect, it } from 'vitest'
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { SHOAL_BIN, shoal, startCluster } from '../helpers/processes.js'
import { tempDirsPerTest } from '../helpers/temp-dirs.js'
import { request, tcpRoundTrip } from '../helpers/http.js'
import { waitFor } from '../helpers/wait.js'

const COUNTER = fileURLToPath(new URL('../../examples/http-counter/server.mjs', import.meta.url))
const ECHO = fileURLToPath(new URL('../../examples/tcp-echo/server.mjs', import.meta.url))

let cluster: Awaited<ReturnType<typeof startCluster>> | null = null
const tempDir = tempDirsPerTest()
afterEach(async () => {
  await cluster?.close()
  cluster = null
})

async function threeNodes(extra: string[] = []) {
  cluster = await startCluster()
  const nodes = ['a', 'b', 'c'].map((n, i) => cluster!.start(n, ['--zone', `zone-${n}`, '--port-offset', String(i * 10), ...extra]))
  for (const n of nodes) await cluster.waitAlive(n, ['a', 'b', 'c'])
  const ports = new Map<string, number>()
  for (const n of (await cluster.status(nodes[0]!)).nodes) ports.set(n.name, n.httpPort)
  return { nodes, ports }
}

const json = async (args: string[]) => {
  const r = await shoal(args)
  if (r.code !== 0) throw new Error(`shoal ${args.join(' ')} failed: ${r.stderr}`)
  return JSON.parse(r.stdout)
}

describe('apps on a three-node cluster of real processes', () => {
  it('an app added on one node runs on its master, answers through every node, and its writes reach the replica', async () => {
    const { nodes, ports } = await threeNodes(['--standby-every', '1'])
    const [a, b, c] = nodes
    const added = await json(['app', 'add', 'counter', '--home', a!.home, '--json', '--cmd', `node ${COUNTER}`, '--http-host', 'counter.test', '--health', 'http:/health', '--replicas', '2'])
    expect(added).toMatchObject({ name: 'counter', epoch: 1, state: 'pending' })

    await waitFor(async () => (await json(['apps', '--home', b!.home, '--json'])).apps[0]?.state === 'running', 'counter running', 20_000)
    for (const [i, node] of ['a', 'b', 'c'].entries()) {
      const r = await request(ports.get(node)!, 'counter.test', { method: 'POST', path: '/records', body: `write-${i}` })
      expect(r.status).toBe(201)
    }
    // Every write is on the master's disk: any snapshot started from now on holds all three.
    const acknowledgedAt = Date.now()
    const apps = (await json(['apps', '--home', c!.home, '--json'])).apps
    expect(apps).toHaveLength(1)
    const app = apps[0]
    expect(app.replicas).toHaveLength(1)
    const counts = await Promise.all(['a', 'b', 'c'].map(async (n) => JSON.parse((await request(ports.get(n)!, 'counter.test', { path: '/count' })).body)))
    for (const cnt of counts) expect(cnt).toEqual({ count: 3, node: app.master })
    // The other nodes forward over one front link each to the master's front (made on their
    // first request), and answer through it.
    const others = nodes.filter((n) => n.name !== app.master)
    await waitFor(async () => (await Promise.all(others.map(async (n) => (await cluster!.status(n)).frontLinks?.out === 1))).every(Boolean), 'front links to the master')
    for (const n of others) expect(JSON.parse((await request(ports.get(n.name)!, 'counter.test', { path: '/count' })).body)).toEqual({ count: 3, node: app.master })
    expect((await cluster!.status(nodes.find((n) => n.name === app.master)!)).frontLinks).toEqual({ out: 0, in: 2 })

    // The replica's newest snapshot, checked out, holds all three acknowledged writes.
    const replica = nodes.find((n) => n.name === app.replicas[0].node)!
    const master = nodes.find((n) => n.name === app.master)!
    // Caught up with a snapshot the master took after the writes (one taken before them would
    // show no lag as well).
    await waitFor(async () => {
      const newest = (await json(['snapshots', 'counter', '--home', master.home, '--json'])).snapshots.at(-1)
      const s = (await json(['apps', '--home', master.home, '--json'])).apps[0]
      return newest !== undefined && newest.time >= acknowledgedAt && s.snapshot === newest.id && s.replicas[0].lagMs === 0
    }, 'a snapshot taken after the writes to reach the replica')
    // Every node advertises a data port; the master sends to the replica over a direct TCP data
    // session there, not the mesh's UDP.
    for (const n of (await cluster!.status(a!)).nodes) expect(n.dataPort).toBeGreaterThan(0)
    expect((await json(['apps', '--home', master.home, '--json'])).apps[0].replicas[0].via).toBe('direct')
    // Asked elsewhere, the route is not known (only the master knows it).
    const elsewhere = nodes.find((n) => n !== master)!
    expect((await json(['apps', '--home', elsewhere.home, '--json'])).apps[0].replicas[0].via).toBeNull()
    const snaps = await json(['snapshots', 'counter', '--home', replica.home, '--json'])
    const newest = snaps.snapshots.at(-1)
    const out = tempDir('shoal-co-')
    const target = join(out, 'restore')
    const co = await shoal(['snapshot', 'checkout', 'counter', newest.id.slice(0, 12), target, '--home', replica.home])
    expect(co.code).toBe(0)
    const records = readFileSync(join(target, 'records.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).body)
    expect(records).toEqual(['write-0', 'write-1', 'write-2'])

    // The replica keeps its own copy of the live folder at the newest snapshot (a standby), so
    // a takeover there writes only what changed since.
    const standby = join(replica.home, 'apps', 'counter', 'live', 'records.jsonl')
    await waitFor(() => existsSync(standby) && readFileSync(standby, 'utf8').trim().split('\n').length === 3, "the replica's standby to hold every write")
  })

  it('a TCP app answers on every node at its port plus the node offset', async () => {
    const { nodes } = await threeNodes()
    await json(['app', 'add', 'echo', '--home', nodes[1]!.home, '--json', '--cmd', `node ${ECHO}`, '--tcp-port', '17400', '--health', 'tcp', '--replicas', '2'])
    await waitFor(async () => (await json(['apps', '--home', nodes[0]!.home, '--json'])).apps[0]?.state === 'running', 'echo running', 20_000)
    for (const offset of [0, 10, 20]) {
      await waitFor(async () => (await tcpRoundTrip(17400 + offset, `hi ${offset}\n`)) === `hi ${offset}\n`, `echo through port ${17400 + offset}`, 10_000)
    }
  })

  it('404 for an unknown host, 503 with Retry-After while an app has no healthy master, bad specs refused', async () => {
    const { nodes, ports } = await threeNodes()
    const unknown = await request(ports.get('a')!, 'nobody.test')
    expect(unknown.status).toBe(404)
    expect(unknown.body).toContain('nobody.test')

    // An app whose command never becomes healthy: every node answers 503 after a short wait.
    await json(['app', 'add', 'broken', '--home', nodes[0]!.home, '--json', '--cmd', 'sleep 1000', '--http-host', 'broken.test', '--health', 'http:/health', '--replicas', '1'])
    await waitFor(async () => (await request(ports.get('b')!, 'broken.test')).status === 503, '503 from b', 20_000)
    const r = await request(ports.get('c')!, 'broken.test')
    expect(r.status).toBe(503)
    expect(r.headers['retry-after']).toMatch(/^\d+$/)
    // And every node says why: it is not healthy yet.
    const slow = await waitFor(async () => (await json(['apps', '--home', nodes[1]!.home, '--json'])).apps.find((x: { name: string }) => x.name === 'broken')?.troubles?.[0], 'the slow start to be reported', 15_000)
    expect(slow.text).toBe('not healthy yet: its health check (http:/health) has not passed for 5 s; it is restarted if it has not after 30 s')

    for (const [args, message] of [
      [['app', 'add', 'Bad_Name', '--cmd', 'x'], /not a valid app name/],
      [['app', 'add', 'broken', '--cmd', 'x'], /already exists/],
      [['app', 'add', 'big', '--cmd', 'x', '--replicas', '5'], /only 3 nodes are alive/],
      [['app', 'add', 'dup', '--cmd', 'x', '--http-host', 'broken.test'], /already routed to broken/],
      [['app', 'scale', 'nothing', '2'], /no app called nothing/],
      [['app', 'scale', 'broken', '0'], /an app has 1 to 16 copies \(the master counts\), not 0/],
      [['app', 'add', 'torn', '--cmd', 'x', '--pin', 'a', '--zone', 'zone-b'], /--pin a is in zone zone-a, not zone-b: give one of --pin and --zone/],
      [['app', 'add', 'far', '--cmd', 'x', '--zone', 'zone-x'], /no node is in zone zone-x \(zones: zone-a, zone-b, zone-c\)/],
      // b's port offset is 10: this TCP port would land on b's own HTTP port.
      [['app', 'add', 'clash', '--cmd', 'x', '--tcp-port', String(ports.get('b')! - 10)], new RegExp(`would be ${ports.get('b')} on b \\(its --port-offset is 10\\), which is b's HTTP port`)]
    ] as const) {
      const res = await shoal([...args, '--home', nodes[2]!.home])
      expect(res.code).not.toBe(0)
      expect(res.stderr).toMatch(message)
    }
    expect((await json(['apps', '--home', nodes[2]!.home, '--json'])).apps.map((x: { name: string }) => x.name)).toEqual(['broken'])
  })

  it('a crashing app is restarted, and every node says why it is not running: the crash, then the crash loop', async () => {
    const { nodes } = await threeNodes()
    await json(['app', 'add', 'crashy', '--home', nodes[0]!.home, '--json', '--cmd', 'echo "no database here" >&2; exit 3', '--http-host', 'crashy.test', '--replicas', '1'])
    const seenFrom = async (n: (typeof nodes)[number]) => (await json(['apps', '--home', n.home, '--json'])).apps.find((x: { name: string }) => x.name === 'crashy')
    const first = await waitFor(async () => (await seenFrom(nodes[2]!))?.troubles?.[0], 'a trouble for crashy, seen from c', 20_000)
    const master = (await seenFrom(nodes[2]!)).master
    expect(first).toMatchObject({ node: master })
    expect(first.text).toMatch(/^crashed: exited with code 3/)
    // Restarted with a growing wait; after five crashes in a minute, a crash loop.
    const loop = await waitFor(async () => (await seenFrom(nodes[1]!))?.troubles?.find((t: { text: string }) => t.text.startsWith('crash loop')), 'the crash loop, seen from b', 30_000)
    expect(loop.text).toMatch(/^crash loop \(exited with code 3\): 5 crashes within 60 s; next try in 30000 ms$/)
    const table = await shoal(['apps', '--home', nodes[1]!.home])
    expect(table.stdout).toContain(`! crashy on ${master}: crash loop (exited with code 3)`)
    // From a node that is not the master: the master's output, asked of it over the mesh.
    const other = nodes.find((n) => n.name !== master)!
    const logs = await shoal(['logs', 'crashy', '--home', other.home])
    expect(logs.stdout.match(/no database here/g)?.length).toBeGreaterThanOrEqual(5)
    expect(logs.stdout).toContain('crash loop (exited with code 3)')
  }, 60_000)

  it('shoal logs -f on a node that is not the master follows the master’s output, and stops on Ctrl-C', async () => {
    const { nodes } = await threeNodes()
    await json(['app', 'add', 'ticker', '--home', nodes[0]!.home, '--json', '--cmd', 'i=0; while true; do i=$((i+1)); echo "tick $i"; sleep 0.2; done', '--health', 'none', '--replicas', '1'])
    const seen = await waitFor(async () => {
      const a = (await json(['apps', '--home', nodes[0]!.home, '--json'])).apps[0]
      return a?.state === 'running' ? a : null
    }, 'ticker running', 20_000)
    const other = nodes.find((n) => n.name !== seen.master)!
    const follow = spawn(process.execPath, [SHOAL_BIN, 'logs', 'ticker', '-f', '--lines', '1', '--home', other.home], { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    follow.stdout.on('data', (d) => (out += d))
    const exited = new Promise<number | null>((resolve) => follow.on('exit', (code) => resolve(code)))
    // Lines printed after the follow began arrive as they are written.
    await waitFor(() => (out.match(/stdout +tick \d+/g)?.length ?? 0) >= 5, `five ticks followed from ${other.name}:\n${out}`, 15_000)
    // In order, and none missing where the history ends and the following begins.
    const ticks = [...out.matchAll(/tick (\d+)/g)].map((m) => Number(m[1]))
    expect(ticks).toEqual(ticks.map((_, i) => ticks[0]! + i))
    expect(out).not.toContain('cannot reach')
    follow.kill('SIGINT')
    expect(await exited).toBe(0)
  }, 60_000)

  it('through the mesh alone (--prefer-tunnel, --no-data-port): HTTP and TCP reach the master from every node, and replication goes over the mesh', async () => {
    const { nodes, ports } = await threeNodes(['--prefer-tunnel', '--no-data-port'])
    await json(['app', 'add', 'counter', '--home', nodes[0]!.home, '--json', '--cmd', `node ${COUNTER}`, '--http-host', 'counter.test', '--health', 'http:/health', '--replicas', '2', '--pin', 'a'])
    await json(['app', 'add', 'echo', '--home', nodes[0]!.home, '--json', '--cmd', `node ${ECHO}`, '--tcp-port', '17500', '--health', 'tcp', '--replicas', '1', '--pin', 'a'])
    for (const [i, n] of ['b', 'c'].entries()) {
      await waitFor(async () => (await request(ports.get(n)!, 'counter.test', { method: 'POST', path: '/records', body: `via-${n}` })).status === 201, `a write through ${n}`, 20_000)
      await waitFor(async () => (await tcpRoundTrip(17500 + (i + 1) * 10, `tunnel ${n}\n`)) === `tunnel ${n}\n`, `echo through ${n}`, 20_000)
    }
    const r = JSON.parse((await request(ports.get('c')!, 'counter.test', { path: '/records' })).body)
    expect(r.node).toBe('a')
    expect(r.records.map((x: { body: string }) => x.body)).toEqual(expect.arrayContaining(['via-b', 'via-c']))
    // No node listens for data sessions, so the replica is fed over the mesh, and catches up.
    for (const n of (await cluster!.status(nodes[0]!)).nodes) expect(n.dataPort).toBeNull()
    await waitFor(async () => {
      const app = (await json(['apps', '--home', nodes[0]!.home, '--json'])).apps.find((x: { name: string }) => x.name === 'counter')
      return app.replicas[0]?.lagMs === 0 && app.replicas[0].via === 'mesh'
    }, 'the replica to catch up over the mesh', 20_000)
  })

  it('a sync in progress shows in `shoal apps` on the master and the replica: how far, how fast, how long left (--replication-limit)', async () => {
    // 4 MB/s for 24 MiB: about six seconds of transfer to watch.
    const { nodes } = await threeNodes(['--replication-limit', '4'])
    const seed = tempDir('shoal-seed-')
    writeFileSync(join(seed, 'records.jsonl'), '')
    writeFileSync(join(seed, 'blob.bin'), randomBytes(24 * 1024 * 1024))
    await json(['app', 'add', 'big', '--home', nodes[0]!.home, '--json', '--cmd', `node ${COUNTER}`, '--http-host', 'big.test', '--health', 'http:/health', '--data', seed, '--replicas', '2', '--pin', 'a'])
    type Replica = { node: string; lagMs: number | null; via: string | null; transfer: { phase: string; bytes: number; totalBytes: number; rate: number; etaMs: number | null } | null }
    const replicaOf = async (home: string): Promise<Replica | undefined> => (await json(['apps', '--home', home, '--json'])).apps[0]?.replicas[0]
    let seen: Replica | undefined
    await waitFor(async () => {
      seen = await replicaOf(nodes[0]!.home)
      // A second or more into it, so the rate is an average, not the first burst's.
      return seen?.transfer?.phase === 'chunks' && seen.transfer.bytes > 4e6 && seen.transfer.etaMs !== null
    }, 'the transfer to show on the master', 20_000)
    const t = seen!.transfer!
    const what = JSON.stringify(seen)
    expect(seen!.via, what).toBe('direct')
    expect(t.totalBytes, what).toBeGreaterThan(20e6)
    expect(t.bytes, what).toBeLessThanOrEqual(t.totalBytes)
    expect(t.rate, what).toBeGreaterThan(0)
    expect(t.rate, what).toBeLessThan(6e6) // the limit, give or take a frame
    expect(t.etaMs, what).toBeGreaterThan(0)
    // The replica sees its side of the same transfer, and the table says it in words.
    const replica = nodes.find((n) => n.name === seen!.node)!
    await waitFor(async () => (await replicaOf(replica.home))?.transfer?.phase === 'chunks', 'the transfer to show on the replica', 10_000)
    expect((await shoal(['apps', '--home', nodes[0]!.home])).stdout).toMatch(new RegExp(`${replica.name} \\(syncing \\d+% of \\d+(\\.\\d)?MB, \\d+(\\.\\d)?MB/s`))
    // Once done, the lag is back and the transfer gone.
    await waitFor(async () => {
      const r = await replicaOf(nodes[0]!.home)
      return r?.lagMs === 0 && r.transfer === null
    }, 'the replica to catch up', 30_000)
  })

  it('--data seeds the volume: the master starts with those files', async () => {
    const { nodes, ports } = await threeNodes()
    const seed = tempDir('shoal-seed-')
    mkdirSync(join(seed, 'sub'))
    writeFileSync(join(seed, 'records.jsonl'), ['one', 'two'].map((b, id) => JSON.stringify({ id, at: 'x', body: b })).join('\n') + '\n')
    await json(['app', 'add', 'seeded', '--home', nodes[0]!.home, '--json', '--cmd', `node ${COUNTER}`, '--http-host', 'seeded.test', '--health', 'http:/health', '--data', seed, '--replicas', '2', '--pin', 'c'])
    await waitFor(async () => (await request(ports.get('b')!, 'seeded.test', { path: '/count' })).body.includes('"count":2'), 'seeded app answering with its two records', 20_000)
  })
})
