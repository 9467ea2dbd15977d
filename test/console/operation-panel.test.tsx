/** The operation panel as the operator sees it on a full screen, with the steps the node streams. */
import { describe, expect, it, onTestFinished } from 'vitest'
import { render } from 'ink-testing-library'
import type { OperationEvent } from '../../src/control/types.js'
import { ConsoleScreen } from '../../src/console/ConsoleScreen.js'
import { consoleReducer, initialState, type ConsoleAction } from '../../src/console/console-reducer.js'
import { screenRows } from '../../src/console/screen-rows.js'
import type { ConsoleAppStatus } from '../../src/console/source.js'
import type { ClusterPoll } from '../../src/console/use-cluster-poll.js'

const api: ConsoleAppStatus = {
  name: 'api', state: 'running', epoch: 4, master: 'beta', masterId: 'b'.repeat(64), replicas: [], snapshot: null, snapshotAt: null, pinned: null, rps: 3,
  load: { rps: 3, bytesPerSec: 0, connections: 0, p50Ms: 1, p99Ms: 2 }
}
const poll: ClusterPoll = { nodes: [], apps: [api], selfId: null, history: new Map(), error: null, loaded: true }

const ev = (tag: string, data: Record<string, unknown>): OperationEvent => ({ tag, data })
const writes = { attempted: 212, acknowledged: 205, failed: 7, lost: 0, stashedOnly: 0, failures: { '503 via gamma': 7 } }
const stash = 'api-e3-alpha-20250101120000'

/** A crash drill of api as src/node/drill.ts streams it, ending with the report. */
function crashDrill(replicas: string[]): OperationEvent[] {
  return [
    ev('probe', { targets: ['beta', 'gamma'], path: '/records', host: 'api.local' }),
    ev('stop', { mode: 'crash', node: 'alpha', at: 0, durationMs: 10_000 }),
    ev('detect', { node: 'alpha', afterMs: 1806 }),
    ev('promote', { node: 'beta', epoch: 4, afterMs: 2301 }),
    ev('restore', { node: 'alpha', stash, afterMs: 14_520 }),
    ev('done', { detectionMs: 1794, recoveryMs: 1943, ...writes, stash, master: 'beta', epoch: 4 }),
    ev('result', { ok: true, app: 'api', mode: 'crash', from: 'alpha', to: 'beta', detectionMs: 1794, recoveryMs: 1943, writes, stash, stashes: [stash], placement: { epoch: 4, master: 'beta', replicas } })
  ]
}

function screen(actions: ConsoleAction[], columns: number, rows: number): string {
  const state = actions.reduce(consoleReducer, { ...initialState({ readOnly: false }), view: 'apps' as const })
  const r = screenRows(state, { nodes: poll.nodes, apps: poll.apps, events: [] })
  const ui = render(<ConsoleScreen state={state} rows={r} poll={poll} appDetail={null} size={{ columns, rows }} now={0} />)
  onTestFinished(() => ui.unmount())
  return ui.lastFrame() ?? ''
}

const operation = (action: 'drill' | 'move', target: string, events: OperationEvent[], end: ConsoleAction['type'] = 'operation-done'): ConsoleAction[] => [
  { type: 'begin-action', action, app: 'api', options: [target] },
  { type: 'picker-choose' },
  { type: 'confirm' },
  ...events.map((event): ConsoleAction => ({ type: 'operation-event', id: 1, event })),
  ...(end === 'operation-done' ? [{ type: 'operation-done', id: 1 } as const] : [])
]

function expectOnScreen(f: string, columns: number, rows: number) {
  const lines = f.split('\n')
  expect(lines.length).toBeLessThanOrEqual(rows - 1)
  for (const l of lines) expect(l.length).toBeLessThanOrEqual(columns)
  expect(f).toContain('╰')
}

describe('operation panel', () => {
  for (const [columns, rows] of [[80, 24], [100, 30]] as const) {
    it(`a finished drill shows its whole report at ${columns}×${rows}: detection, recovery, writes, stash, placement`, () => {
      const f = screen(operation('drill', 'crash', crashDrill(['gamma', 'alpha'])), columns, rows)
      expectOnScreen(f, columns, rows)
      expect(f).toMatch(/detection\s+1794 ms/)
      expect(f).toMatch(/recovery\s+1943 ms/)
      expect(f).toMatch(/writes\s+212 attempted, 205 acknowledged, 7 failed, 0 lost/)
      expect(f).toMatch(new RegExp(`stash\\s+${stash}`))
      expect(f).toMatch(/placement\s+epoch 4, master beta, replicas gamma, alpha/)
    })
  }

  it('one detection figure: the report\'s, in the step and in the report', () => {
    const f = screen(operation('drill', 'crash', crashDrill(['gamma', 'alpha'])), 80, 24)
    expect(f).toContain('alpha declared dead after 1794 ms')
    expect(f).not.toContain('1806')
  })

  it('a long placement wraps instead of being cut', () => {
    const many = ['gamma-eu-west-1', 'delta-eu-west-2', 'epsilon-eu-west-3', 'alpha-eu-west-1']
    const f = screen(operation('drill', 'crash', crashDrill(many)), 80, 24)
    expectOnScreen(f, 80, 24)
    for (const n of many) expect(f).toContain(n)
    expect(f).not.toMatch(/…\s*│/)
  })

  it('a move streams each step as a sentence, never a raw step name', () => {
    const move = [
      ev('start', { app: 'api', from: 'beta', to: 'gamma' }),
      ev('precopy', { round: 1, bytes: 2_000_000 }),
      ev('pause', { inFlight: 0 }),
      ev('final', { snapshot: 'a1b2c3d4e5f6', bytes: 9000, drainMs: 1, stopMs: 20, snapshotMs: 3, shipMs: 5 }),
      ev('start-target', { node: 'gamma' })
    ]
    const f = screen(operation('move', 'gamma', move, 'operation-event'), 80, 24)
    expectOnScreen(f, 80, 24)
    expect(f).toContain('✓ starting on gamma')
    expect(f).not.toContain('start-target')
    expect(f).not.toMatch(/\w=\S/)
  })
})
