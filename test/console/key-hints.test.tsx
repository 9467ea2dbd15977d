/** The footer lists only keys that do something in the view on screen. */
import { describe, expect, it, onTestFinished } from 'vitest'
import { render } from 'ink-testing-library'
import { consoleReducer, initialState, type ConsoleAction, type ConsoleState } from '../../src/console/console-reducer.js'
import { StatusBar } from '../../src/console/StatusBar.js'

const after = (actions: ConsoleAction[], readOnly = false) => actions.reduce(consoleReducer, initialState({ readOnly }))

function footer(state: ConsoleState, width = 100): string {
  const ui = render(<StatusBar state={state} pollError={null} width={width} />)
  onTestFinished(() => ui.unmount())
  return ui.lastFrame() ?? ''
}

describe('footer key hints', () => {
  it('events: Enter and s do nothing there, so they are not offered', () => {
    const f = footer(after([{ type: 'view', view: 'events' }]))
    expect(f).not.toContain('Enter')
    expect(f).not.toContain('sort')
    expect(f).toBe('? help · / filter · q quit')
  })

  it('nodes and apps: details and sorting work', () => {
    expect(footer(after([]))).toBe('? help · / filter · s sort (name) · Enter details · q quit')
    expect(footer(after([{ type: 'view', view: 'apps' }]))).toBe('? help · / filter · s sort (name) · Enter details · q quit')
  })

  it('a read-only console offers no action', () => {
    expect(footer(after([{ type: 'view', view: 'apps' }, { type: 'open-details', details: { kind: 'app', name: 'web' } }], true))).toBe('Esc back · ? help · q quit')
  })

  it('details: actions only for an app', () => {
    expect(footer(after([{ type: 'view', view: 'apps' }, { type: 'open-details', details: { kind: 'app', name: 'web' } }]))).toBe('Esc back · p pin · u unpin · m move · P promote · d drill · ? help · q quit')
    expect(footer(after([{ type: 'open-details', details: { kind: 'node', name: 'n1' } }]))).toBe('Esc back · ? help · q quit')
  })

  it('a filter says how to clear it', () => {
    expect(footer(after([{ type: 'view', view: 'events' }, { type: 'filter-start' }, { type: 'filter-input', text: 'move' }, { type: 'filter-end' }]))).toBe('filter "move" (Esc clears) · ? help · / filter · q quit')
  })
})
