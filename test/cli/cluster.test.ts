import { readFileSync } from 'node:fs'
import { afterEach, describe, expect, it } from 'vitest'
import { COUNTER_APP, shoal, startCluster } from '../helpers/processes.js'
import { waitFor } from '../helpers/wait.js'

let cluster: Awaited<ReturnType<typeof startCluster>> | null = null
afterEach(async () => {
  await cluster?.close()
  cluster = null
})

describe('a cluster of real node processes on a private testnet', () => {
  it('three nodes converge and `shoal status --json` shows each one', async () => {
    cluster = await startCluster()
    const [a, b, c] = ['a', 'b', 'c'].map((n) => cluster!.start(n, ['--zone', `zone-${n}`]))
    for (const n of [a!, b!, c!]) await cluster.waitAlive(n, ['a', 'b', 'c'])
    // Round-trip times appear once the first pings have been answered.
    await waitFor(async () => (await cluster!.status(a!)).nodes.every((n) => n.self || (n.rttMs ?? 0) > 0), 'RTTs measured')
    const res = await shoal(['status', '--home', a!.home, '--json'])
    expect(res.code).toBe(0)
    const status = JSON.parse(res.stdout)
    expect(status.nodes).toHaveLength(3)
    const self = status.nodes.find((n: { id: string }) => n.id === status.self)
    expect(self.name).toBe('a')
    for (const n of status.nodes) {
      expect(n).toMatchObject({ status: 'alive', zone: `zone-${n.name}`, addresses: ['127.0.0.1'] })
      expect(n.id).toMatch(/^[0-9a-f]{64}$/)
      expect(typeof n.cpu).toBe('number')
      expect(typeof n.mem).toBe('number')
      expect(n.apps).toBe(0)
      if (n.id !== status.self) expect(n.rttMs).toBeGreaterThan(0)
    }
    const table = await shoal(['status', '--home', b!.home])
    expect(table.stdout).toMatch(/NAME\s+ID\s+ZONE\s+STATUS\s+RTT\s+CPU\s+MEM\s+APPS\s+VERSION\s+ADDRESSES/)
    // Each node's software version, as the README's limits tell operators to check.
    const version = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version as string
    expect(table.stdout.split('\n').filter((l) => /\balive\b/.test(l) && l.includes(` ${version} `))).toHaveLength(3)
    expect(table.stdout.split('\n').filter((l) => /\balive\b/.test(l))).toHaveLength(3)
  })

  it('five nodes: kill -9 is reported dead by every survivor within 3 s; a graceful leave is `left`', async () => {
    cluster = await startCluster()
    const names = ['n1', 'n2', 'n3', 'n4', 'n5']
    const nodes = names.map((n) => cluster!.start(n))
    for (const n of nodes) await cluster.waitAlive(n, names)
    const survivors = nodes.slice(0, 4)
    const logs = await Promise.all(survivors.map((n) => cluster!.recordEvents(n)))

    const killedAt = Date.now()
    nodes[4]!.proc.kill('SIGKILL')
    await waitFor(() => logs.every((log) => log.some((e) => e.nodeName === 'n5' && e.kind === 'dead')), 'every survivor to report n5 dead', 10_000)
    const detection = logs.map((log) => log.find((e) => e.nodeName === 'n5' && e.kind === 'dead')!.at - killedAt)
    console.log(`kill -9 detected after ${detection.join(', ')} ms`)
    for (const ms of detection) expect(ms).toBeLessThanOrEqual(3000)

    const leftAt = Date.now()
    nodes[3]!.proc.kill('SIGTERM')
    expect(await nodes[3]!.exited).toBe(0)
    const others = logs.slice(0, 3)
    await waitFor(() => others.every((log) => log.some((e) => e.nodeName === 'n4' && e.kind === 'left')), 'n4 to be reported left', 5000).catch(async (err: Error) => {
      // Seen once in a full run: say whether the claim never arrived or only its event is missing.
      const views = await Promise.all(
        survivors.slice(0, 3).map(async (n, i) => {
          const status = (await cluster!.status(n)).nodes.find((x) => x.name === 'n4')?.status
          const seen = others[i]!.filter((e) => e.nodeName === 'n4').map((e) => e.kind)
          return `${n.name} has n4 ${status}, events [${seen.join(', ')}]`
        })
      )
      throw new Error(`${err.message}: ${views.join('; ')}`)
    })
    // The leave goes out as soon as the node handles SIGTERM; the bound is the one kill -9
    // detection gets above, as on a loaded 2-core machine the processes' turns alone took 2.6 s once.
    for (const log of others) {
      expect(log.find((e) => e.nodeName === 'n4' && e.kind === 'left')!.at - leftAt).toBeLessThan(3000)
    }
    // Well past the dead timeout, nobody ever called the departed node dead or suspect.
    await new Promise((r) => setTimeout(r, 3500))
    for (const log of others) expect(log.filter((e) => e.nodeName === 'n4' && (e.kind === 'dead' || e.kind === 'suspect'))).toEqual([])
    const s = await cluster.status(nodes[0]!)
    expect(Object.fromEntries(s.nodes.map((n) => [n.name, n.status]))).toEqual({ n1: 'alive', n2: 'alive', n3: 'alive', n4: 'left', n5: 'dead' })
  })

  it('a node whose output pipe closed first (shoal up | tee, Ctrl-C) still leaves gracefully', async () => {
    cluster = await startCluster()
    const a = cluster.start('a')
    const b = cluster.start('b', ['--port-offset', '10'])
    for (const n of [a, b]) await cluster.waitAlive(n, ['a', 'b'])
    const add = await shoal(['app', 'add', 'counter', '--home', a.home, '--cmd', `node ${COUNTER_APP}`, '--http-host', 'counter.test', '--health', 'http:/health', '--replicas', '2', '--pin', 'b'])
    expect(add.code, add.stderr).toBe(0)
    await waitFor(async () => JSON.parse((await shoal(['apps', '--home', a.home, '--json'])).stdout).apps[0]?.state === 'running', 'counter running on b', 20_000)
    const seen = await cluster.recordEvents(a)
    // The reader of b's output goes away first, then b gets its Ctrl-C.
    b.proc.stdout!.destroy()
    b.proc.stderr!.destroy()
    b.proc.kill('SIGINT')
    expect(await b.exited).toBe(0)
    await waitFor(() => seen.some((e) => e.nodeName === 'b' && e.kind === 'left'), 'b to be reported left', 10_000)
    expect(seen.filter((e) => e.nodeName === 'b' && (e.kind === 'dead' || e.kind === 'suspect'))).toEqual([])
  })

  it('a restarted node keeps its identity and is seen alive again', async () => {
    cluster = await startCluster()
    const a = cluster.start('a')
    const b = cluster.start('b')
    await cluster.waitAlive(a, ['a', 'b'])
    const before = (await cluster.status(b)).self
    b.proc.kill('SIGKILL')
    await waitFor(async () => (await cluster!.status(a)).nodes.find((n) => n.name === 'b')?.status === 'dead', 'b dead', 10_000)
    const b2 = cluster.start('b')
    await cluster.waitAlive(a, ['a', 'b'])
    expect((await cluster.status(b2)).self).toBe(before)
  })

  it('a node started with another key never appears in anyone\'s status', async () => {
    cluster = await startCluster()
    const a = cluster.start('a')
    const b = cluster.start('b')
    const intruder = cluster.start('intruder', [], 'dd'.repeat(32))
    await cluster.waitAlive(a, ['a', 'b'])
    await cluster.waitAlive(intruder, ['intruder'])
    await new Promise((r) => setTimeout(r, 2000))
    for (const n of [a, b]) expect((await cluster.status(n)).nodes.map((x) => x.name).sort()).toEqual(['a', 'b'])
    expect((await cluster.status(intruder)).nodes.map((x) => x.name)).toEqual(['intruder'])
  })
})
