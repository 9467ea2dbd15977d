import { describe, expect, it } from 'vitest'
import type { AppStatus, NodeStatus } from '../../src/control/types.js'
import { initialState, type ConsoleState } from '../../src/console/console-reducer.js'
import { keyAction, type KeyPress, type Selection } from '../../src/console/key-bindings.js'

const node = (name: string, status: NodeStatus['status'] = 'alive'): NodeStatus => ({
  id: `${name}-id`, name, zone: 'a', status, rttMs: 1, cpu: 0.1, mem: 0.1, apps: 0, addresses: [], self: false, incarnation: 1, capacity: 1, version: '0', httpPort: 0, dataPort: null, portOffset: 0, rssBytes: 0
})
const nodes = [node('n1'), node('n2'), node('n3'), node('n4', 'dead')]
const web: AppStatus = {
  name: 'web', state: 'running', epoch: 3, master: 'n1', masterId: 'n1-id',
  replicas: [{ node: 'n3', nodeId: 'n3-id', snapshot: null, lagMs: 10, via: null, transfer: null }], snapshot: null, pinned: null, rps: 1
}
const sel: Selection = { count: 4, page: 10, app: web, node: nodes[0]!, nodes }
const apps: ConsoleState = { ...initialState({ readOnly: false }), view: 'apps' }
const k = (input: string, key: KeyPress = {}, state: ConsoleState = apps) => keyAction(input, key, state, sel)

describe('keyAction', () => {
  const table: Array<[string, string, KeyPress, ConsoleState, unknown]> = [
    ['q quits', 'q', {}, apps, { type: 'quit' }],
    ['Ctrl-C quits even in a dialog', 'c', { ctrl: true }, { ...apps, dialog: { kind: 'help' } }, { type: 'quit' }],
    ['Tab switches view', '', { tab: true }, apps, { type: 'next-view' }],
    ['1 nodes', '1', {}, apps, { type: 'view', view: 'nodes' }],
    ['3 events', '3', {}, apps, { type: 'view', view: 'events' }],
    ['j down', 'j', {}, apps, { type: 'cursor', delta: 1, count: 4 }],
    ['arrow up', '', { upArrow: true }, apps, { type: 'cursor', delta: -1, count: 4 }],
    ['page down', '', { pageDown: true }, apps, { type: 'cursor', delta: 10, count: 4 }],
    ['G to the end', 'G', {}, apps, { type: 'cursor-to', index: 3, count: 4 }],
    ['Enter on an app opens its details', '', { return: true }, apps, { type: 'open-details', details: { kind: 'app', name: 'web' } }],
    ['Enter on a node opens its details', '', { return: true }, { ...apps, view: 'nodes' }, { type: 'open-details', details: { kind: 'node', name: 'n1' } }],
    ['Esc goes back', '', { escape: true }, apps, { type: 'back' }],
    ['/ filters', '/', {}, apps, { type: 'filter-start' }],
    ['s sorts', 's', {}, apps, { type: 'sort-next' }],
    ['? helps', '?', {}, apps, { type: 'help' }],
    ['typing while filtering', 'q', {}, { ...apps, filtering: true }, { type: 'filter-input', text: 'q' }],
    ['backspace while filtering', '', { backspace: true }, { ...apps, filtering: true }, { type: 'filter-erase' }],
    ['Enter ends the filter', '', { return: true }, { ...apps, filtering: true }, { type: 'filter-end' }],
    ['m offers live nodes, replicas first, not the master', 'm', {}, apps, { type: 'begin-action', action: 'move', app: 'web', options: ['n3', 'n2'] }],
    ['P offers the live replicas', 'P', {}, apps, { type: 'begin-action', action: 'promote', app: 'web', options: ['n3'] }],
    ['p offers every live node, current master first', 'p', {}, apps, { type: 'begin-action', action: 'pin', app: 'web', options: ['n1', 'n2', 'n3'] }],
    ['d offers the drill modes', 'd', {}, apps, { type: 'begin-action', action: 'drill', app: 'web', options: ['crash', 'partition', 'graceful'] }],
    ['u unpins', 'u', {}, apps, { type: 'begin-action', action: 'unpin', app: 'web', options: [] }],
    ['actions work from app details', 'm', {}, { ...apps, details: { kind: 'app', name: 'web' } }, { type: 'begin-action', action: 'move', app: 'web', options: ['n3', 'n2'] }],
    ['picker: j moves', 'j', {}, { ...apps, dialog: { kind: 'picker', action: 'move', app: 'web', options: ['a', 'b'], index: 0 } }, { type: 'picker-move', delta: 1 }],
    ['picker: Enter chooses', '', { return: true }, { ...apps, dialog: { kind: 'picker', action: 'move', app: 'web', options: ['a'], index: 0 } }, { type: 'picker-choose' }],
    ['picker: Esc cancels', '', { escape: true }, { ...apps, dialog: { kind: 'picker', action: 'move', app: 'web', options: ['a'], index: 0 } }, { type: 'cancel' }],
    ['confirm: y confirms', 'y', {}, { ...apps, dialog: { kind: 'confirm', action: 'move', app: 'web', target: 'a' } }, { type: 'confirm' }],
    ['confirm: n cancels', 'n', {}, { ...apps, dialog: { kind: 'confirm', action: 'move', app: 'web', target: 'a' } }, { type: 'cancel' }],
    ['confirm: other keys do nothing', 'm', {}, { ...apps, dialog: { kind: 'confirm', action: 'move', app: 'web', target: 'a' } }, null],
    ['help: Esc closes', '', { escape: true }, { ...apps, dialog: { kind: 'help' } }, { type: 'help' }],
    ['o shows the last operation', 'o', {}, apps, { type: 'show-operation' }]
  ]
  for (const [name, input, key, state, expected] of table) {
    it(name, () => expect(k(input, key, state)).toEqual(expected))
  }

  it('an action on the nodes view asks for an app', () => {
    const a = k('m', {}, { ...apps, view: 'nodes' })
    expect(a).toMatchObject({ type: 'message', tone: 'info' })
    expect((a as { text: string }).text).toMatch(/Select an app first/)
  })
})
