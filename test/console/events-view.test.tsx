/**
 * The Events view lists every kind of event the node streams, moves and failovers included, in
 * the words the node uses (src/node/local-apps.ts, failover-claim.ts, stash-on-demote.ts).
 */
import { describe, expect, it, onTestFinished } from 'vitest'
import { render } from 'ink-testing-library'
import type { ClusterEvent, OperationEvent } from '../../src/control/types.js'
import { EventsView } from '../../src/console/EventsView.js'
import { initialState } from '../../src/console/console-reducer.js'
import { screenRows } from '../../src/console/screen-rows.js'
import { KEYS, renderConsole } from './render-console.js'

const at = Date.UTC(2025, 0, 1, 12, 0, 0)
const events: ClusterEvent[] = [
  { at, kind: 'joined', node: 'b', nodeName: 'beta', from: null, message: 'beta joined' },
  { at: at + 1000, kind: 'move', app: 'web', message: 'web moved alpha → beta (pause 41 ms)' },
  { at: at + 2000, kind: 'dead', node: 'a', nodeName: 'alpha', from: 'suspect', message: 'alpha is dead' },
  { at: at + 3000, kind: 'failover', app: 'api', message: 'api: master alpha is dead; beta takes over (epoch 5)' },
  { at: at + 4000, kind: 'failover', app: 'api', message: 'api: alpha was master of epoch 4 but beta holds epoch 5; 2 snapshots beta lacks stashed as api-e4-alpha-20250101120004 (shoal stash checkout api-e4-alpha-20250101120004 DIR)' },
  { at: at + 5000, kind: 'error', app: 'web', message: 'web: move to gamma failed: drain timeout' }
]

function frame(width: number): string {
  const state = { ...initialState({ readOnly: false }), view: 'events' as const }
  const rows = screenRows(state, { nodes: [], apps: [], events })
  const ui = render(<EventsView events={rows.events} cursor={0} width={width} height={10} />)
  onTestFinished(() => ui.unmount())
  return ui.lastFrame() ?? ''
}

async function drain(steps: AsyncIterable<OperationEvent>): Promise<void> {
  for await (const _ of steps) { /* run to the end */ }
}

describe('Events view', () => {
  it('lists moves and failovers with joins, deaths and errors, newest first', () => {
    const lines = frame(80).split('\n')
    expect(lines[0]).toMatch(/TIME\s+KIND\s+WHAT HAPPENED/)
    const kinds = lines.slice(1).map((l) => /\d\d:\d\d:\d\d (\w+)/.exec(l)?.[1]).filter((k) => k !== undefined)
    expect(kinds).toEqual(['error', 'failover', 'failover', 'dead', 'move', 'joined'])
    expect(frame(80)).toMatch(/move\s+web moved alpha → beta \(pause 41 ms\)/)
    expect(frame(80)).toMatch(/failover\s+api: master alpha is dead; beta takes over \(epoch 5\)/)
  })

  it('a move and a drill made from the console show up in view 3', async () => {
    const c = renderConsole()
    await c.waitFor('node-5')
    await drain(c.fake.move('web', 'node-3'))
    await drain(c.fake.drill('api', 'crash'))
    await c.press('3')
    const f = await c.waitFor('takes over')
    expect(f).toMatch(/move\s+web moved node-1 → node-3/)
    expect(f).toMatch(/failover\s+api: master node-2 is dead; node-3 takes over/)
    expect(f).toMatch(/drill\s+crash drill of api ended: ok/)
    await c.press('/', 'f', 'a', 'i', 'l', KEYS.enter)
    await c.waitFor((fr) => fr.includes('takes over') && !fr.includes('moved'))
  })
})
