/**
 * ConsoleScreen at fixed sizes: at 80×24 and wider, every view and dialog stays inside the
 * terminal (≤ columns wide, ≤ rows − 1 lines, so Ink never scrolls), and columns reflow.
 */
import { describe, expect, it, onTestFinished } from 'vitest'
import { render } from 'ink-testing-library'
import { ConsoleScreen } from '../../src/console/ConsoleScreen.js'
import { consoleReducer, initialState, type ConsoleAction, type ConsoleState } from '../../src/console/console-reducer.js'
import { FakeCluster } from '../../src/console/fake-source.js'
import { recordLoad } from '../../src/console/load-history.js'
import { screenRows } from '../../src/console/screen-rows.js'
import type { AppDetailData } from '../../src/console/use-app-details.js'
import type { ClusterPoll } from '../../src/console/use-cluster-poll.js'

async function data(nodes = 8, apps = 40) {
  const fake = new FakeCluster({ nodes, apps, stepMs: 0 })
  onTestFinished(() => fake.close())
  let history = new Map() as ClusterPoll['history']
  let status = await fake.status()
  for (let i = 0; i < 20; i++) {
    status = await fake.status()
    history = recordLoad(history, status.nodes)
  }
  const poll: ClusterPoll = { nodes: status.nodes, apps: (await fake.apps()).apps, selfId: status.self, history, error: null, loaded: true }
  const appDetail: AppDetailData = { app: poll.apps[0]!.name, snapshots: await fake.snapshots(poll.apps[0]!.name), logs: await fake.logs(poll.apps[0]!.name, 50), error: null }
  const events = Array.from({ length: 30 }, (_, i) => ({ at: Date.now() - (30 - i) * 1000, kind: 'move' as const, app: 'web', message: `web moved node-1 → node-2, paused ${i} ms, and this message is long enough to be cut at the edge of the screen` }))
  return { poll, appDetail, events }
}

function frameOf(state: ConsoleState, d: Awaited<ReturnType<typeof data>>, columns: number, rows: number): string {
  const r = screenRows(state, { nodes: d.poll.nodes, apps: d.poll.apps, events: d.events })
  const ui = render(<ConsoleScreen state={state} rows={r} poll={d.poll} appDetail={d.appDetail} size={{ columns, rows }} now={Date.now()} />)
  onTestFinished(() => ui.unmount())
  return ui.lastFrame() ?? ''
}

const after = (...actions: ConsoleAction[]) => actions.reduce(consoleReducer, initialState({ readOnly: false }))

const screens: Array<[string, ConsoleState]> = [
  ['nodes', after()],
  ['apps', after({ type: 'view', view: 'apps' })],
  ['events', after({ type: 'view', view: 'events' })],
  ['app details', after({ type: 'view', view: 'apps' }, { type: 'open-details', details: { kind: 'app', name: 'web' } })],
  ['node details', after({ type: 'open-details', details: { kind: 'node', name: 'node-2' } })],
  ['help', after({ type: 'help' })],
  ['picker', after({ type: 'view', view: 'apps' }, { type: 'begin-action', action: 'move', app: 'web', options: ['node-1', 'node-2', 'node-3', 'node-4', 'node-5', 'node-6', 'node-7', 'node-8', 'node-9', 'node-10'] })],
  ['confirm', after({ type: 'view', view: 'apps' }, { type: 'begin-action', action: 'pin', app: 'web', options: ['node-2'] }, { type: 'picker-choose' })],
  ['confirm drill', after({ type: 'view', view: 'apps' }, { type: 'begin-action', action: 'drill', app: 'web', options: ['partition'] }, { type: 'picker-choose' })],
  ['operation', after({ type: 'view', view: 'apps' }, { type: 'begin-action', action: 'move', app: 'web', options: ['node-2'] }, { type: 'picker-choose' }, { type: 'confirm' },
    ...Array.from({ length: 9 }, (_, i): ConsoleAction => ({ type: 'operation-event', id: 1, event: { tag: 'precopy', data: { round: i, bytes: 1000 * i, sent: i, total: 10 } } })),
    { type: 'operation-failed', id: 1, error: 'The move was aborted and the app keeps running where it was. (the drain timeout of 5000 ms passed with 3 requests still in flight on node-1)' })]
]

describe('ConsoleScreen fits the terminal', () => {
  for (const [columns, rows] of [[80, 24], [100, 30], [132, 43]] as const) {
    for (const [name, state] of screens) {
      it(`${name} at ${columns}×${rows}`, async () => {
        const f = frameOf(state, await data(), columns, rows)
        const ls = f.split('\n')
        expect(ls.length).toBeLessThanOrEqual(rows - 1)
        for (const l of ls) expect(l.length).toBeLessThanOrEqual(columns)
        expect(ls[0]).toMatch(/^Shoal/)
        expect(ls.at(-1)).toMatch(/\S/)
        // A dialog is drawn whole: its bottom border is on screen.
        if (state.dialog.kind !== 'none' && state.dialog.kind !== 'help') expect(f).toContain('╰')
      })
    }
  }

  it('wider terminals show more of each row and the long event text', async () => {
    const d = await data()
    const narrow = frameOf(after({ type: 'view', view: 'events' }), d, 80, 24)
    const wide = frameOf(after({ type: 'view', view: 'events' }), d, 160, 24)
    expect(narrow).toMatch(/paused \d+ ms, and this.*…$/m)
    expect(narrow).not.toContain('screen')
    expect(wide).toContain('cut at the edge of the screen')
  })

  it('the apps list drops low-priority columns when narrow, never the name or state', async () => {
    const d = await data()
    const apps = after({ type: 'view', view: 'apps' })
    const at60 = frameOf(apps, d, 60, 24).split('\n')[1]!
    expect(at60).toMatch(/APP\s+STATE\s+MASTER/)
    expect(at60).not.toContain('PINNED')
    expect(frameOf(apps, d, 120, 24).split('\n')[1]).toContain('PINNED')
  })

  it('a 1000-row list draws only the rows that fit, around the cursor', async () => {
    const d = await data(20, 1000)
    const state = after({ type: 'view', view: 'apps' }, { type: 'cursor-to', index: 500, count: 1000 })
    const f = frameOf(state, d, 80, 24)
    expect(f.split('\n')).toHaveLength(23)
    expect(f).toMatch(/› \S+/)
  })

  it('too small a terminal says so instead of drawing garbage', async () => {
    expect(frameOf(after(), await data(), 30, 8)).toContain('Terminal too small (30×8)')
  })
})
