import { describe, expect, it } from 'vitest'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { clusterForTest, COUNTER_APP as COUNTER, shoal, shoalJson as json } from '../helpers/processes.js'
import { request } from '../helpers/http.js'
import { waitFor, waitForReplicated } from '../helpers/wait.js'

describe('an app removed, then added again under the same name', () => {
  it('starts from nothing, stashes nothing, and the earlier app’s data stays whole beside it', async () => {
    const cluster = await clusterForTest()
    const nodes = ['a', 'b', 'c'].map((n, i) => cluster.start(n, ['--port-offset', String(i * 10)]))
    for (const n of nodes) await cluster.waitAlive(n, ['a', 'b', 'c'])
    const ports = new Map((await cluster.status(nodes[0]!)).nodes.map((n) => [n.name, n.httpPort]))
    const add = () => json(['app', 'add', 'counter', '--home', nodes[0]!.home, '--json', '--cmd', `node ${COUNTER}`, '--http-host', 'counter.test', '--health', 'http:/health', '--replicas', '3'])
    const app = async () => (await json(['apps', '--home', nodes[1]!.home, '--json'])).apps.find((x: { name: string }) => x.name === 'counter')
    await add()
    await waitFor(async () => (await app())?.state === 'running', 'the first counter running', 20_000)
    for (let i = 0; i < 3; i++) expect((await request(ports.get('a')!, 'counter.test', { method: 'POST', path: '/records', body: `old-${i}` })).status).toBe(201)
    await waitForReplicated(app, 2)
    const oldSnapshots = new Set<string>((await json(['snapshots', 'counter', '--home', nodes[2]!.home, '--json'])).snapshots.map((s: { id: string }) => s.id))
    expect(oldSnapshots.size).toBeGreaterThan(0)
    const firstMaster = (await app()).master as string

    expect((await shoal(['app', 'rm', 'counter', '--home', nodes[1]!.home])).code).toBe(0)
    await waitFor(async () => (await app()) === undefined, 'counter gone')
    await add()
    await waitFor(async () => (await app())?.state === 'running', 'the second counter running', 20_000)
    // The new app has none of the earlier one's records.
    expect(JSON.parse((await request(ports.get('b')!, 'counter.test', { path: '/count' })).body).count).toBe(0)
    expect((await request(ports.get('c')!, 'counter.test', { method: 'POST', path: '/records', body: 'new-0' })).status).toBe(201)
    await waitForReplicated(app, 2)
    for (const n of nodes) {
      // No node takes the earlier app's snapshots for a lost branch of this one.
      expect((await json(['stash', 'ls', '--home', n.home, '--json'])).stashes).toEqual([])
      const snaps: string[] = (await json(['snapshots', 'counter', '--home', n.home, '--json'])).snapshots.map((s: { id: string }) => s.id)
      expect(snaps.length).toBeGreaterThan(0)
      expect(snaps.filter((id) => oldSnapshots.has(id))).toEqual([])
      // The earlier app's folder is kept whole beside the new one, its records in it.
      const earlier = readdirSync(join(n.home, 'apps')).filter((d) => d.startsWith('counter.earlier-'))
      expect(earlier, n.name).toHaveLength(1)
      expect(readdirSync(join(n.home, 'apps', earlier[0]!, 'snapshots')).length).toBeGreaterThan(0)
      if (n.name === firstMaster) expect(readFileSync(join(n.home, 'apps', earlier[0]!, 'live', 'records.jsonl'), 'utf8')).toContain('old-2')
    }
  }, 90_000)
})
