import { describe, expect, it } from 'vitest'
import { ShoalError } from '../../src/core/errors.js'
import { KEYS, renderConsole } from './render-console.js'

const lines = (frame: string) => frame.split('\n')

describe('console frames', () => {
  it('nodes view: name, zone, status word, RTT, bars, sparkline, app count', async () => {
    // Polls at full rate, so the load history fills quickly.
    const c = renderConsole({ cpuBudget: 1 })
    const f = await c.waitFor('node-5')
    expect(f).toMatch(/NODE\s+ZONE\s+STATUS\s+RTT\s+CPU\s+MEM\s+LOAD\s+APPS/)
    const first = lines(f).find((l) => l.includes('node-1*'))!
    expect(first).toMatch(/› node-1\*\s+a\s+alive\s+self [█▏▎▍▌▋▊▉·]+\s+\d+%/)
    expect(lines(f).find((l) => l.includes('node-2'))).toMatch(/\d+(\.\d)?ms/)
    expect(f).toContain('5/5 nodes alive · 12 apps')
    expect(f).not.toContain('\u001b[')
    await c.waitFor((fr) => /node-1\*.*[▁▂▃▄▅▆▇█]{3}\s+\d+\s*$/m.test(fr))
  })

  it('colour on still prints every status word', async () => {
    const c = renderConsole({ color: true })
    const f = await c.waitFor('node-5')
    expect(f).toContain('\u001b[32malive  \u001b[39m')
    expect(f).toMatch(/\u001b\[1m› node-1\*/)
    expect(f.replace(/\u001b\[\d+m/g, '')).toMatch(/node-2\s+b\s+alive/)
  })

  it('a node that turns suspect shows the word, and the event appears', async () => {
    const c = renderConsole()
    await c.waitFor('node-5')
    c.fake.setNodeStatus('node-3', 'suspect')
    await c.waitFor((f) => /node-3\s+c\s+suspect/.test(f))
    expect(c.frame()).toContain('4/5 nodes alive (1 down)')
    // One that left on purpose is not down.
    c.fake.setNodeStatus('node-4', 'left')
    await c.waitFor('3/4 nodes alive (1 down), 1 left')
    await c.press('3')
    const f = await c.waitFor('node-3 is suspect')
    expect(f).toMatch(/\d\d:\d\d:\d\d\s+suspect\s+node-3 is suspect/)
  })

  it('apps view: name, state, master, replicas with lag, epoch, req/s, pinned, snapshot age', async () => {
    const c = renderConsole()
    await c.waitFor('node-5')
    await c.press('2')
    const f = await c.waitFor('REPLICAS:LAG')
    expect(f).toMatch(/APP\s+STATE\s+MASTER\s+REPLICAS:LAG\s+EPOCH\s+REQ\/S\s+PINNED\s+SNAP/)
    expect(lines(f).find((l) => l.includes(' web '))).toMatch(/web\s+running\s+node-1\s+node-2:\d+ms node-3:\S+\s+\d+\s+\d+\.\d\s+-\s+\d+s/)
  })

  it('events view starts empty and says what will appear', async () => {
    const c = renderConsole()
    await c.waitFor('node-5')
    await c.press('3')
    expect(await c.waitFor('No events yet')).toMatch(/TIME\s+KIND\s+WHAT HAPPENED/)
  })

  it('/ filters the list and Esc clears it', async () => {
    const c = renderConsole()
    await c.waitFor('node-5')
    await c.press('2', '/', 'd', 'b')
    let f = await c.waitFor('Filter: /db')
    expect(f).toMatch(/› db\s+running/)
    expect(f).not.toMatch(/ web /)
    await c.press(KEYS.enter)
    f = await c.waitFor('filter "db" (Esc clears)')
    await c.press(KEYS.esc)
    await c.waitFor((fr) => fr.includes(' web ') && !fr.includes('filter "db"'))
  })

  it('s sorts and says by what', async () => {
    const c = renderConsole()
    await c.waitFor('sort (name)')
    await c.press('s', 's')
    await c.waitFor('sort (cpu)')
    const cpus = lines(c.frame()).filter((l) => /node-\d/.test(l)).map((l) => Number(/(\d+)%/.exec(l)![1]))
    expect(cpus).toEqual([...cpus].sort((a, b) => b - a))
  })

  it('app details: replication, snapshots with holders, log tail; Esc goes back', async () => {
    const c = renderConsole()
    await c.waitFor('node-5')
    await c.press('2', '/', 'w', 'e', 'b', KEYS.enter, KEYS.enter)
    const f = await c.waitFor(/Snapshots \(12[\s\S]*Log \(tail\)\n.*GET \/ 200/)
    expect(f).toMatch(/web · running · epoch \d+ · master node-1/)
    expect(f).toMatch(/Replication\n\s+node-2\s+[█▏▎▍▌▋▊▉·]+ (in sync|behind)\s+lag/)
    expect(f).toMatch(/Snapshots \(12, newest first\)/)
    expect(f).toMatch(/web\w+\s+\d+[smh]\s+\d+\s+12\s+\S+\s+node-1/)
    expect(f).toMatch(/\d\d:\d\d:\d\d GET \/ 200/)
    await c.press(KEYS.esc)
    await c.waitFor('REPLICAS:LAG')
  })

  it('node details: figures, load history, its apps by role', async () => {
    const c = renderConsole()
    await c.waitFor('node-5')
    await c.press(KEYS.down, KEYS.enter)
    const f = await c.waitFor('Apps on node-2')
    expect(f).toMatch(/node-2 \(\w{8}\) · zone b · alive · rtt/)
    expect(f).toMatch(/CPU\s+\d+% [ ▁▂▃▄▅▆▇█]+/)
    expect(f).toMatch(/Apps on node-2 \(3 master, \d+ replica\)/)
    expect(f).toMatch(/api\s+master\s+running/)
  })

  it('? shows the help overlay with every key', async () => {
    const c = renderConsole()
    await c.waitFor('node-5')
    await c.press('?')
    const f = await c.waitFor('Keys')
    for (const k of ['Tab 1 2 3', '/', 'pin the app', 'move the app', 'promote a replica', 'failover drill', 'quit']) expect(f).toContain(k)
    await c.press(KEYS.esc)
    await c.waitFor('NODE')
  })

  it('? shows the notes it was given first (the demo’s commands), and still every key, at 80×24', async () => {
    const notes = ["curl -H 'Host: counter.localhost' http://127.0.0.1:8081/count   (8082, 8083: the other nodes)", "curl -H 'Host: counter.localhost' -d hello http://127.0.0.1:8081/records", 'ssh -p 2222 demo@127.0.0.1   (this console over SSH)']
    const c = renderConsole({ notes })
    await c.waitFor('node-5')
    await c.press('?')
    const f = await c.waitFor('Keys')
    const lines = f.split('\n')
    expect(lines.findIndex((l) => l.includes('Try, from another terminal'))).toBeLessThan(lines.findIndex((l) => l.includes('Keys')))
    for (const n of notes) expect(f).toContain(n.slice(0, 60))
    for (const k of ['Tab 1 2 3', 'quit', 'failover drill', 'show the last operation', 'Press ? or Esc to close.']) expect(f).toContain(k)
    expect(lines.length).toBeLessThanOrEqual(24)
  })

  it('m: target picker → confirmation → operation panel streaming to done', async () => {
    const c = renderConsole({ stepMs: 30 })
    await c.waitFor('node-5')
    await c.press('2', '/', 'w', 'e', 'b', KEYS.enter)
    await c.waitFor('filter "web"')
    await c.press('m')
    let f = await c.waitFor('Move web to which node?')
    expect(f).toMatch(/› node-2\s+\(replica\)/)
    expect(f).toMatch(/node-3\s+\(replica\)/)
    expect(f).toContain('node-4')
    await c.press('j', KEYS.enter)
    f = await c.waitFor('Confirm')
    expect(f).toContain('Move web from node-1 to node-3? Its connections pause briefly.')
    await c.press('y')
    await c.waitFor(/move web → node-3: running/)
    f = await c.waitFor('done: paused')
    expect(f).toContain('move web → node-3: done')
    expect(f).toMatch(/✓ pre-copy round \d/)
    expect(f).toContain('✓ health check passed')
    await c.press(KEYS.esc)
    await c.waitFor((fr) => /web\s+running\s+node-3/.test(fr))
  })

  it('a failed operation shows a plain sentence', async () => {
    const c = renderConsole()
    await c.waitFor('node-5')
    c.fake.failNextOperation(new ShoalError('MIGRATION_ABORTED', 'drain timeout after 5000 ms'))
    await c.press('2', 'm')
    await c.waitFor('to which node?')
    await c.press(KEYS.enter, 'y')
    const f = await c.waitFor(': failed')
    expect(f).toContain('The move was aborted and the app keeps running where it was. (drain timeout after 5000 ms)')
  })

  it('d: drill picker offers the modes and reports detection and recovery', async () => {
    const c = renderConsole()
    await c.waitFor('node-5')
    await c.press('2', 'd')
    const f = await c.waitFor('Failover drill on api: which failure?')
    expect(f).toMatch(/› crash[\s\S]*partition[\s\S]*graceful/)
    await c.press(KEYS.down, KEYS.enter)
    await c.waitFor('Run a partition failover drill on api?')
    await c.press(KEYS.enter)
    const done = await c.waitFor(/placement\s+epoch \d+, master node-\d, replicas/)
    expect(done).toMatch(/done: node-\d is master \(epoch \d+\), 0 writes lost/)
    expect(done).toMatch(/detection\s+\d+ ms/)
    expect(done).toMatch(/recovery\s+\d+ ms/)
    expect(done).toMatch(/writes\s+\d+ attempted, \d+ acknowledged, \d+ failed, 0 lost/)
    expect(done).toMatch(/stash\s+none/)
    // One detection figure: the step shows the report's.
    const figure = /detection\s+(\d+) ms/.exec(done)![1]
    expect(done).toContain(`declared dead after ${figure} ms`)
  })

  it('P with a replica; u asks before unpinning', async () => {
    const c = renderConsole()
    await c.waitFor('node-5')
    await c.press('2', 'P')
    await c.waitFor('Promote which replica of api to master?')
    await c.press(KEYS.esc, 'u')
    await c.waitFor(/Unpin api\? It stays on node-2: Shoal does not move apps by load yet/)
    await c.press('y')
    await c.waitFor('unpin api: done')
  })

  it('--read-only refuses every action and says so', async () => {
    const c = renderConsole({ readOnly: true })
    const f = await c.waitFor('node-5')
    expect(f).toContain('READ-ONLY')
    for (const key of ['m', 'p', 'u', 'P', 'd']) {
      await c.press('2', KEYS.esc, key)
      const fr = await c.waitFor('This console is read-only')
      expect(fr).not.toContain('Confirm')
      expect(fr).not.toContain('which')
    }
  })
})
