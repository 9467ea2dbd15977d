import { describe, expect, it } from 'vitest'
import { clusterForTest, COUNTER_APP as COUNTER, shoal, shoalJson as json } from '../helpers/processes.js'
import { request } from '../helpers/http.js'
import { waitFor } from '../helpers/wait.js'

describe('a pinned app', () => {
  it('is not moved away by an operator, and goes back to its node when that node returns', async () => {
    const cluster = await clusterForTest()
    const [a, b, c] = ['a', 'b', 'c'].map((n, i) => cluster.start(n, ['--port-offset', String(i * 10)]))
    for (const n of [a!, b!, c!]) await cluster.waitAlive(n, ['a', 'b', 'c'])
    const app = async (via = a!) => (await json(['apps', '--home', via.home, '--json'])).apps.find((x: { name: string }) => x.name === 'counter')
    await json(['app', 'add', 'counter', '--home', a!.home, '--json', '--cmd', `node ${COUNTER}`, '--http-host', 'counter.test', '--health', 'http:/health', '--replicas', '2', '--pin', 'b'])
    await waitFor(async () => (await app())?.state === 'running', 'counter running', 20_000)
    expect((await app()).master).toBe('b')
    const seenOn = { a: await cluster.recordEvents(a!), c: await cluster.recordEvents(c!) }

    // Moving or promoting it elsewhere is refused, with what to do instead.
    for (const verb of ['move', 'promote']) {
      const r = await shoal([verb, 'counter', 'c', '--home', a!.home])
      expect(r.code, r.stderr).toBe(19)
      expect(r.stderr.trim()).toBe(`shoal: counter is pinned to b: to ${verb} it to c, pin it there (shoal pin counter c), or unpin it first (shoal unpin counter)`)
    }
    expect((await app()).master).toBe('b')

    // Its node leaves: the app fails over. The node comes back: the app returns to it. Twice in
    // a row: a return does not hold up the next one.
    const ports = new Map((await cluster.status(a!)).nodes.map((n) => [n.name, n.httpPort]))
    expect((await request(ports.get('a')!, 'counter.test', { method: 'POST', path: '/records', body: 'before' })).status).toBe(201)
    let node = b!
    for (let round = 1; round <= 2; round++) {
      node.proc.kill('SIGTERM')
      await node.exited
      await waitFor(async () => {
        const now = await app()
        return now?.state === 'running' && now.master !== 'b'
      }, `counter running elsewhere (round ${round})`, 20_000)
      node = cluster.start('b', ['--port-offset', '10'])
      await cluster.waitAlive(a!, ['a', 'b', 'c'])
      await waitFor(async () => {
        const now = await app()
        return now?.state === 'running' && now.master === 'b'
      }, `counter back on b (round ${round})`, 40_000)
    }
    const b2 = node
    const records = JSON.parse((await request(ports.get('c')!, 'counter.test', { path: '/records' })).body)
    expect(records.node).toBe('b')
    expect(records.records.map((r: { body: string }) => r.body)).toContain('before')
    expect(b2.proc.exitCode).toBeNull()
    // A pin to a node that is not there is refused, and the pin stays as it was.
    c!.proc.kill('SIGTERM')
    await c!.exited
    await waitFor(async () => (await cluster.status(a!)).nodes.find((n) => n.name === 'c')?.status === 'left', 'c left')
    const toGone = await shoal(['pin', 'counter', 'c', '--home', a!.home])
    expect(toGone.code).toBe(9)
    expect(toGone.stderr.trim()).toBe('shoal: c is not alive: pin counter to a live node')
    expect((await app()).pinned).toBe('b')
    expect((await shoal(['unpin', 'counter', '--home', a!.home])).stdout.trim()).toBe('counter is no longer pinned')
    expect((await shoal(['unpin', 'counter', '--home', a!.home])).stdout.trim()).toBe('counter was not pinned')
    // a and c each list the failover and the move back, whichever of them made them.
    for (const [name, seen] of Object.entries(seenOn)) {
      const kinds = seen.filter((e) => e.app === 'counter').map((e) => e.kind)
      expect(kinds, `${name}: ${seen.map((e) => e.message).join(' | ')}`).toContain('failover')
      expect(kinds, `${name}: ${seen.map((e) => e.message).join(' | ')}`).toContain('move')
    }
  }, 90_000)
})
