import { describe, expect, it, onTestFinished } from 'vitest'
import type { ClusterEvent, OperationEvent } from '../../src/control/types.js'
import type { ConsoleAction, Operation } from '../../src/console/console-reducer.js'
import { FakeCluster, type FakeClusterOptions } from '../../src/console/fake-source.js'
import { runOperation } from '../../src/console/run-operation.js'
import { ShoalError } from '../../src/core/errors.js'

function cluster(opts: FakeClusterOptions = {}): FakeCluster {
  const c = new FakeCluster({ nodes: 4, apps: 6, stepMs: 0, ...opts })
  onTestFinished(() => c.close())
  return c
}

async function collect(it: AsyncIterable<OperationEvent>): Promise<OperationEvent[]> {
  const out: OperationEvent[] = []
  for await (const e of it) out.push(e)
  return out
}

const op = (o: Partial<Operation>): Operation => ({ id: 1, action: 'move', app: 'web', target: null, events: [], status: 'running', error: null, ...o })

describe('FakeCluster', () => {
  it('has the nodes and apps asked for, each app with a master and replicas elsewhere', async () => {
    const c = cluster({ nodes: 100, apps: 1000 })
    const status = await c.status()
    const { apps } = await c.apps()
    expect(status.nodes).toHaveLength(100)
    expect(apps).toHaveLength(1000)
    expect(new Set(apps.map((a) => a.name)).size).toBe(1000)
    for (const a of apps.slice(0, 50)) {
      expect(a.replicas).toHaveLength(2)
      expect(a.replicas.map((r) => r.node)).not.toContain(a.master)
    }
  })

  it('load wanders between polls but stays within 0..1', async () => {
    const c = cluster()
    const a = (await c.status()).nodes.map((n) => n.cpu)
    const b = (await c.status()).nodes.map((n) => n.cpu)
    expect(a).not.toEqual(b)
    for (const v of [...a, ...b]) {
      expect(v).toBeGreaterThan(0)
      expect(v).toBeLessThan(1)
    }
  })

  it('a move streams the steps a node streams (src/node/migration.ts) and changes the master and epoch', async () => {
    const c = cluster()
    const seen: ClusterEvent[] = []
    c.subscribe((e) => seen.push(e))
    const before = (await c.apps()).apps.find((a) => a.name === 'web')!
    const target = before.replicas[0]!.node
    const steps = await collect(c.move('web', target))
    expect(steps.map((s) => s.tag)).toEqual(['start', 'precopy', 'precopy', 'precopy', 'stage', 'pause', 'final', 'start-target', 'health', 'done', 'result'])
    expect(steps[0]!.data).toEqual({ app: 'web', from: before.master, to: target })
    expect(steps.at(-2)!.data).toMatchObject({ epoch: before.epoch + 1 })
    expect(typeof steps.at(-2)!.data.pauseMs).toBe('number')
    expect(steps.at(-1)!.data).toMatchObject({ ok: true, app: 'web', from: before.master, to: target, epoch: before.epoch + 1 })
    const after = (await c.apps()).apps.find((a) => a.name === 'web')!
    expect(after).toMatchObject({ master: target, epoch: before.epoch + 1, state: 'running' })
    expect(after.replicas.map((r) => r.node)).toContain(before.master)
    expect(seen.map((e) => e.kind)).toEqual(['move', 'move'])
  })

  it('errors carry codes: unknown app, not a replica, busy', async () => {
    const c = cluster()
    await expect(collect(c.move('nope', 'node-1'))).rejects.toMatchObject({ code: 'UNKNOWN_APP' })
    const web = (await c.apps()).apps.find((a) => a.name === 'web')!
    const outsider = (await c.status()).nodes.find((n) => n.name !== web.master && !web.replicas.some((r) => r.node === n.name))!
    await expect(collect(c.promote('web', outsider.name))).rejects.toMatchObject({ code: 'NOT_A_REPLICA' })
    const slow = cluster({ stepMs: 20 })
    const first = collect(slow.move('web', web.replicas[0]!.node))
    await expect(collect(slow.move('web', web.replicas[0]!.node))).rejects.toMatchObject({ code: 'APP_BUSY' })
    await first
  })

  it('an injected failure aborts the move and leaves the app where it was', async () => {
    const c = cluster()
    const web = (await c.apps()).apps.find((a) => a.name === 'web')!
    c.failNextOperation(new ShoalError('MIGRATION_ABORTED', 'drain timeout'))
    await expect(collect(c.move('web', web.replicas[0]!.node))).rejects.toMatchObject({ code: 'MIGRATION_ABORTED' })
    expect((await c.apps()).apps.find((a) => a.name === 'web')).toMatchObject({ master: web.master, epoch: web.epoch, state: 'running' })
  })

  it('pin, unpin and a drill', async () => {
    const c = cluster()
    const web = (await c.apps()).apps.find((a) => a.name === 'web')!
    const pinSteps = await collect(c.pin('web', web.master!))
    expect(pinSteps.map((s) => s.tag)).toEqual(['pinned', 'result'])
    expect((await c.apps()).apps.find((a) => a.name === 'web')!.pinned).toBe(web.master)
    await c.unpin('web')
    expect((await c.apps()).apps.find((a) => a.name === 'web')!.pinned).toBeNull()
    const drill = await collect(c.drill('web', 'crash'))
    expect(drill.map((s) => s.tag)).toEqual(['probe', 'stop', 'detect', 'promote', 'restore', 'done', 'result'])
    expect(drill.at(-2)!.data).toMatchObject({ lost: 0, stash: null })
    expect(drill.at(-1)!.data).toMatchObject({ ok: true, mode: 'crash', from: web.master, writes: { lost: 0 }, stashes: [], placement: { master: expect.any(String) } })
    expect((await c.apps()).apps.find((a) => a.name === 'web')!.master).not.toBe(web.master)
  })

  it('snapshots newest first with holders, and a log tail', async () => {
    const c = cluster()
    const snaps = await c.snapshots('db')
    expect(snaps.length).toBeGreaterThan(1)
    expect(snaps[0]!.time).toBeGreaterThan(snaps[1]!.time)
    expect(snaps[0]!.holders.length).toBeGreaterThan(0)
    expect(await c.logs('db', 5)).toHaveLength(5)
    await expect(c.snapshots('nope')).rejects.toMatchObject({ code: 'UNKNOWN_APP' })
  })
})

describe('runOperation', () => {
  it('reports each step then done', async () => {
    const c = cluster()
    const web = (await c.apps()).apps.find((a) => a.name === 'web')!
    const actions: ConsoleAction[] = []
    await runOperation(c, op({ target: web.replicas[0]!.node }), (a) => actions.push(a))
    expect(actions.at(-1)).toEqual({ type: 'operation-done', id: 1 })
    expect(actions.filter((a) => a.type === 'operation-event')).toHaveLength(11)
  })

  it('turns a coded failure into a plain sentence and never rejects', async () => {
    const c = cluster()
    const actions: ConsoleAction[] = []
    await runOperation(c, op({ action: 'promote', target: 'node-9' }), (a) => actions.push(a))
    expect(actions).toEqual([{ type: 'operation-failed', id: 1, error: 'That node is unknown or not reachable. (no node named node-9)' }])
  })

  it('unpin is a single request', async () => {
    const c = cluster()
    const actions: ConsoleAction[] = []
    await runOperation(c, op({ action: 'unpin' }), (a) => actions.push(a))
    expect(actions).toEqual([{ type: 'operation-done', id: 1 }])
  })
})
