import { describe, expect, it } from 'vitest'
import { consoleReducer, initialState, READ_ONLY_REFUSAL, type ConsoleAction, type ConsoleState } from '../../src/console/console-reducer.js'

const start = initialState({ readOnly: false })
const run = (actions: ConsoleAction[], from: ConsoleState = start) => actions.reduce(consoleReducer, from)

describe('consoleReducer: moving around', () => {
  const cases: Array<{ name: string; actions: ConsoleAction[]; expect: Partial<ConsoleState> | ((s: ConsoleState) => void) }> = [
    { name: 'starts on the nodes view', actions: [], expect: { view: 'nodes', details: null, dialog: { kind: 'none' } } },
    { name: '2 switches to apps', actions: [{ type: 'view', view: 'apps' }], expect: { view: 'apps' } },
    { name: 'Tab cycles nodes → apps → events → nodes', actions: [{ type: 'next-view' }, { type: 'next-view' }], expect: { view: 'events' } },
    { name: 'Tab wraps around', actions: [{ type: 'next-view' }, { type: 'next-view' }, { type: 'next-view' }], expect: { view: 'nodes' } },
    { name: 'cursor moves down within the rows', actions: [{ type: 'cursor', delta: 1, count: 5 }, { type: 'cursor', delta: 1, count: 5 }], expect: (s) => expect(s.cursor.nodes).toBe(2) },
    { name: 'cursor stops at the last row', actions: [{ type: 'cursor', delta: 10, count: 5 }, { type: 'cursor', delta: 1, count: 5 }], expect: (s) => expect(s.cursor.nodes).toBe(4) },
    { name: 'cursor stops at the top', actions: [{ type: 'cursor', delta: -1, count: 5 }], expect: (s) => expect(s.cursor.nodes).toBe(0) },
    { name: 'cursor is kept per view', actions: [{ type: 'cursor', delta: 2, count: 5 }, { type: 'view', view: 'apps' }, { type: 'cursor', delta: 1, count: 9 }], expect: (s) => expect(s.cursor).toEqual({ nodes: 2, apps: 1, events: 0 }) },
    { name: 'cursor-to end', actions: [{ type: 'cursor-to', index: 99, count: 7 }], expect: (s) => expect(s.cursor.nodes).toBe(6) },
    { name: 'Enter opens details', actions: [{ type: 'open-details', details: { kind: 'app', name: 'web' } }], expect: { details: { kind: 'app', name: 'web' } } },
    { name: 'Esc leaves details', actions: [{ type: 'open-details', details: { kind: 'node', name: 'n1' } }, { type: 'back' }], expect: { details: null } },
    { name: 'switching view closes details', actions: [{ type: 'open-details', details: { kind: 'node', name: 'n1' } }, { type: 'view', view: 'events' }], expect: { details: null, view: 'events' } },
    { name: '/ starts typing a filter', actions: [{ type: 'filter-start' }, { type: 'filter-input', text: 'w' }, { type: 'filter-input', text: 'e' }], expect: { filtering: true, filter: 'we' } },
    { name: 'filter resets the cursor', actions: [{ type: 'cursor', delta: 3, count: 5 }, { type: 'filter-start' }, { type: 'filter-input', text: 'x' }], expect: (s) => expect(s.cursor.nodes).toBe(0) },
    { name: 'backspace erases', actions: [{ type: 'filter-start' }, { type: 'filter-input', text: 'ab' }, { type: 'filter-erase' }], expect: { filter: 'a' } },
    { name: 'Enter keeps the filter and stops typing', actions: [{ type: 'filter-start' }, { type: 'filter-input', text: 'db' }, { type: 'filter-end' }], expect: { filter: 'db', filtering: false } },
    { name: 'Esc stops typing, a second Esc clears the filter', actions: [{ type: 'filter-start' }, { type: 'filter-input', text: 'db' }, { type: 'back' }, { type: 'back' }], expect: { filter: '', filtering: false } },
    { name: 's cycles the node sort', actions: [{ type: 'sort-next' }, { type: 'sort-next' }], expect: { nodeSort: 'cpu' } },
    { name: 's on apps cycles the app sort', actions: [{ type: 'view', view: 'apps' }, { type: 'sort-next' }], expect: { appSort: 'state', nodeSort: 'name' } },
    { name: 's on events explains', actions: [{ type: 'view', view: 'events' }, { type: 'sort-next' }], expect: (s) => expect(s.message?.text).toMatch(/newest first/) },
    { name: '? toggles help', actions: [{ type: 'help' }], expect: { dialog: { kind: 'help' } } },
    { name: '? twice closes help', actions: [{ type: 'help' }, { type: 'help' }], expect: { dialog: { kind: 'none' } } },
    { name: 'q quits', actions: [{ type: 'quit' }], expect: { quit: true } }
  ]
  for (const c of cases) {
    it(c.name, () => {
      const s = run(c.actions)
      if (typeof c.expect === 'function') c.expect(s)
      else expect(s).toMatchObject(c.expect)
    })
  }
})

describe('consoleReducer: actions', () => {
  const move: ConsoleAction = { type: 'begin-action', action: 'move', app: 'web', options: ['n2', 'n3', 'n4'] }

  it('an action opens the target picker on the first option', () => {
    expect(run([move]).dialog).toEqual({ kind: 'picker', action: 'move', app: 'web', options: ['n2', 'n3', 'n4'], index: 0 })
  })

  it('the picker wraps in both directions', () => {
    expect(run([move, { type: 'picker-move', delta: -1 }]).dialog).toMatchObject({ index: 2 })
    expect(run([move, { type: 'picker-move', delta: 1 }, { type: 'picker-move', delta: 1 }, { type: 'picker-move', delta: 1 }]).dialog).toMatchObject({ index: 0 })
  })

  it('choosing leads to a confirmation naming the target', () => {
    expect(run([move, { type: 'picker-move', delta: 1 }, { type: 'picker-choose' }]).dialog).toEqual({ kind: 'confirm', action: 'move', app: 'web', target: 'n3' })
  })

  it('confirming starts an operation and shows its panel', () => {
    const s = run([move, { type: 'picker-choose' }, { type: 'confirm' }])
    expect(s.dialog).toEqual({ kind: 'operation' })
    expect(s.operation).toMatchObject({ id: 1, action: 'move', app: 'web', target: 'n2', status: 'running', events: [] })
    expect(s.nextOperationId).toBe(2)
  })

  it('Esc in the picker or the confirmation changes nothing', () => {
    expect(run([move, { type: 'cancel' }])).toMatchObject({ dialog: { kind: 'none' }, operation: null })
    expect(run([move, { type: 'picker-choose' }, { type: 'back' }])).toMatchObject({ dialog: { kind: 'none' }, operation: null })
  })

  it('unpin skips the picker', () => {
    expect(run([{ type: 'begin-action', action: 'unpin', app: 'web', options: [] }]).dialog).toEqual({ kind: 'confirm', action: 'unpin', app: 'web', target: null })
  })

  it('no possible target is said plainly', () => {
    const s = run([{ type: 'begin-action', action: 'promote', app: 'web', options: [] }])
    expect(s.dialog.kind).toBe('none')
    expect(s.message).toEqual({ text: 'There is no node to promote web to.', tone: 'error' })
  })

  it('progress, completion and failure are recorded for the current operation only', () => {
    let s = run([move, { type: 'picker-choose' }, { type: 'confirm' }])
    s = consoleReducer(s, { type: 'operation-event', id: 1, event: { tag: 'precopy', data: { round: 1 } } })
    s = consoleReducer(s, { type: 'operation-event', id: 7, event: { tag: 'stale', data: {} } })
    expect(s.operation?.events.map((e) => e.tag)).toEqual(['precopy'])
    expect(consoleReducer(s, { type: 'operation-done', id: 1 }).operation?.status).toBe('done')
    const failed = consoleReducer(s, { type: 'operation-failed', id: 1, error: 'The move was aborted.' })
    expect(failed.operation).toMatchObject({ status: 'failed', error: 'The move was aborted.' })
  })

  it('Esc hides a running operation but it keeps running; o shows it again', () => {
    let s = run([move, { type: 'picker-choose' }, { type: 'confirm' }, { type: 'cancel' }])
    expect(s.dialog.kind).toBe('none')
    expect(s.operation?.status).toBe('running')
    expect(s.message?.text).toMatch(/continues/)
    s = consoleReducer(s, { type: 'show-operation' })
    expect(s.dialog.kind).toBe('operation')
  })

  it('a second action while one runs is refused', () => {
    const s = run([move, { type: 'picker-choose' }, { type: 'confirm' }, { type: 'cancel' }, move])
    expect(s.dialog.kind).toBe('none')
    expect(s.message?.text).toMatch(/Wait for the move of web/)
  })

  it('read-only refuses every action and says so', () => {
    const ro = initialState({ readOnly: true })
    for (const action of ['pin', 'unpin', 'move', 'promote', 'drill'] as const) {
      const s = consoleReducer(ro, { type: 'begin-action', action, app: 'web', options: ['n2'] })
      expect(s.dialog.kind).toBe('none')
      expect(s.message).toEqual({ text: READ_ONLY_REFUSAL, tone: 'error' })
    }
  })

  it('read-only refuses even a confirmation reached some other way', () => {
    const ro: ConsoleState = { ...initialState({ readOnly: true }), dialog: { kind: 'confirm', action: 'move', app: 'web', target: 'n2' } }
    const s = consoleReducer(ro, { type: 'confirm' })
    expect(s.operation).toBeNull()
    expect(s.message?.text).toBe(READ_ONLY_REFUSAL)
  })
})
