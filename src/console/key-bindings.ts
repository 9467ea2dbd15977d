/**
 * Keys to reducer actions, as a pure function of the key, the state and what is selected, so
 * every binding is tested without a terminal. The help overlay lists the same keys.
 */
import type { AppStatus, NodeStatus } from '../control/types.js'
import type { ActionKind, ConsoleAction, ConsoleState } from './console-reducer.js'
import { targetsFor } from './cluster-rows.js'

/** The parts of Ink's Key the console reads. */
export interface KeyPress {
  upArrow?: boolean
  downArrow?: boolean
  pageUp?: boolean
  pageDown?: boolean
  home?: boolean
  end?: boolean
  return?: boolean
  escape?: boolean
  tab?: boolean
  backspace?: boolean
  delete?: boolean
  ctrl?: boolean
  meta?: boolean
}

export interface Selection {
  /** Rows in the current view after filtering. */
  count: number
  /** Rows that fit on the screen, for page up/down. */
  page: number
  app: AppStatus | null
  node: NodeStatus | null
  nodes: readonly NodeStatus[]
}

const ACTION_KEYS: Record<string, ActionKind> = { p: 'pin', u: 'unpin', m: 'move', P: 'promote', d: 'drill' }
const KEY_OF: Record<ActionKind, string> = { pin: 'p', unpin: 'u', move: 'm', promote: 'P', drill: 'd' }

export function keyAction(input: string, key: KeyPress, state: ConsoleState, sel: Selection): ConsoleAction | null {
  if (key.ctrl && input === 'c') return { type: 'quit' }
  const d = state.dialog
  if (d.kind === 'help') return key.escape || input === '?' || input === 'q' || key.return ? { type: 'help' } : null
  if (d.kind === 'picker') {
    if (key.escape || input === 'q') return { type: 'cancel' }
    if (key.upArrow || input === 'k') return { type: 'picker-move', delta: -1 }
    if (key.downArrow || input === 'j' || key.tab) return { type: 'picker-move', delta: 1 }
    if (key.return) return { type: 'picker-choose' }
    return null
  }
  if (d.kind === 'confirm') {
    if (key.return || input === 'y' || input === 'Y') return { type: 'confirm' }
    if (key.escape || input === 'n' || input === 'N' || input === 'q') return { type: 'cancel' }
    return null
  }
  if (d.kind === 'operation') {
    if (key.escape || key.return || input === 'q' || input === 'o') return { type: 'cancel' }
    return null
  }
  if (state.filtering) {
    if (key.escape || key.return) return { type: 'filter-end' }
    if (key.backspace || key.delete) return { type: 'filter-erase' }
    if (input && !key.ctrl && !key.meta && input >= ' ') return { type: 'filter-input', text: input }
    return null
  }
  if (input === 'q') return { type: 'quit' }
  if (key.escape) return { type: 'back' }
  if (key.tab) return { type: 'next-view' }
  if (input === '1') return { type: 'view', view: 'nodes' }
  if (input === '2') return { type: 'view', view: 'apps' }
  if (input === '3') return { type: 'view', view: 'events' }
  if (input === '?') return { type: 'help' }
  if (input === 'o') return { type: 'show-operation' }
  if (state.details) {
    const action = ACTION_KEYS[input]
    if (action && state.details.kind === 'app' && sel.app) return begin(action, sel.app, sel)
    if (action) return refuseOrExplain(state, action)
    return null
  }
  if (key.upArrow || input === 'k') return { type: 'cursor', delta: -1, count: sel.count }
  if (key.downArrow || input === 'j') return { type: 'cursor', delta: 1, count: sel.count }
  if (key.pageUp) return { type: 'cursor', delta: -sel.page, count: sel.count }
  if (key.pageDown || input === ' ') return { type: 'cursor', delta: sel.page, count: sel.count }
  if (key.home || input === 'g') return { type: 'cursor-to', index: 0, count: sel.count }
  if (key.end || input === 'G') return { type: 'cursor-to', index: sel.count - 1, count: sel.count }
  if (input === '/') return { type: 'filter-start' }
  if (input === 's') return { type: 'sort-next' }
  if (key.return) {
    if (state.view === 'apps' && sel.app) return { type: 'open-details', details: { kind: 'app', name: sel.app.name } }
    if (state.view === 'nodes' && sel.node) return { type: 'open-details', details: { kind: 'node', name: sel.node.name } }
    return null
  }
  const action = ACTION_KEYS[input]
  if (action) {
    if (state.view === 'apps' && sel.app) return begin(action, sel.app, sel)
    return refuseOrExplain(state, action)
  }
  return null
}

function begin(action: ActionKind, app: AppStatus, sel: Selection): ConsoleAction {
  return { type: 'begin-action', action, app: app.name, options: targetsFor(action, app, sel.nodes) }
}

function refuseOrExplain(state: ConsoleState, action: ActionKind): ConsoleAction {
  if (state.readOnly) return { type: 'begin-action', action, app: '', options: [] }
  return { type: 'message', text: `Select an app first: ${action} works on apps (press 2, pick one, then ${KEY_OF[action]}).`, tone: 'info' }
}
