/**
 * The console's interaction state as a pure reducer: which view is shown, the cursor, filter
 * and sort, and the action flow (target picker → confirmation → operation panel). Cluster data
 * is not here: it arrives from polls and events and is combined at render time.
 */
import type { OperationEvent } from '../control/types.js'

export type View = 'nodes' | 'apps' | 'events'
export const VIEWS: readonly View[] = ['nodes', 'apps', 'events']

export type ActionKind = 'pin' | 'unpin' | 'move' | 'promote' | 'drill'

export const NODE_SORTS = ['name', 'zone', 'cpu', 'mem', 'apps'] as const
export const APP_SORTS = ['name', 'state', 'master', 'rps', 'epoch'] as const
export type NodeSort = (typeof NODE_SORTS)[number]
export type AppSort = (typeof APP_SORTS)[number]

export interface Operation {
  id: number
  action: ActionKind
  app: string
  /** Node name, or drill mode. */
  target: string | null
  events: OperationEvent[]
  status: 'running' | 'done' | 'failed'
  /** Plain sentence when failed. */
  error: string | null
}

export type Dialog =
  | { kind: 'none' }
  | { kind: 'help' }
  | { kind: 'picker'; action: ActionKind; app: string; options: string[]; index: number }
  | { kind: 'confirm'; action: ActionKind; app: string; target: string | null }
  | { kind: 'operation' }

export type Details = { kind: 'app'; name: string } | { kind: 'node'; name: string }

export interface ConsoleState {
  view: View
  cursor: Record<View, number>
  details: Details | null
  filter: string
  /** True while `/` is capturing typed text. */
  filtering: boolean
  nodeSort: NodeSort
  appSort: AppSort
  dialog: Dialog
  operation: Operation | null
  nextOperationId: number
  message: { text: string; tone: 'info' | 'error' } | null
  readOnly: boolean
  quit: boolean
}

export type ConsoleAction =
  | { type: 'view'; view: View }
  | { type: 'next-view' }
  | { type: 'cursor'; delta: number; count: number }
  | { type: 'cursor-to'; index: number; count: number }
  | { type: 'open-details'; details: Details }
  | { type: 'back' }
  | { type: 'filter-start' }
  | { type: 'filter-input'; text: string }
  | { type: 'filter-erase' }
  | { type: 'filter-end' }
  | { type: 'sort-next' }
  | { type: 'help' }
  | { type: 'begin-action'; action: ActionKind; app: string; options: string[] }
  | { type: 'picker-move'; delta: number }
  | { type: 'picker-choose' }
  | { type: 'confirm' }
  | { type: 'cancel' }
  | { type: 'operation-event'; id: number; event: OperationEvent }
  | { type: 'operation-done'; id: number }
  | { type: 'operation-failed'; id: number; error: string }
  | { type: 'show-operation' }
  | { type: 'message'; text: string; tone: 'info' | 'error' }
  | { type: 'quit' }

export const READ_ONLY_REFUSAL = 'This console is read-only: pin, unpin, move, promote and drill are refused.'
const OPERATION_EVENTS_KEPT = 50

export function initialState(opts: { readOnly: boolean }): ConsoleState {
  return {
    view: 'nodes',
    cursor: { nodes: 0, apps: 0, events: 0 },
    details: null,
    filter: '',
    filtering: false,
    nodeSort: 'name',
    appSort: 'name',
    dialog: { kind: 'none' },
    operation: null,
    nextOperationId: 1,
    message: null,
    readOnly: opts.readOnly,
    quit: false
  }
}

export function consoleReducer(state: ConsoleState, action: ConsoleAction): ConsoleState {
  switch (action.type) {
    case 'view':
      return { ...state, view: action.view, details: null, filtering: false, message: null }
    case 'next-view':
      return { ...state, view: VIEWS[(VIEWS.indexOf(state.view) + 1) % VIEWS.length]!, details: null, filtering: false, message: null }
    case 'cursor': {
      const max = Math.max(0, action.count - 1)
      const at = Math.min(max, Math.max(0, Math.min(state.cursor[state.view], max) + action.delta))
      return { ...state, cursor: { ...state.cursor, [state.view]: at } }
    }
    case 'cursor-to': {
      const at = Math.min(Math.max(0, action.count - 1), Math.max(0, action.index))
      return { ...state, cursor: { ...state.cursor, [state.view]: at } }
    }
    case 'open-details':
      return { ...state, details: action.details, filtering: false, message: null }
    case 'back':
      if (state.dialog.kind !== 'none') return cancelDialog(state)
      if (state.filtering) return { ...state, filtering: false }
      if (state.details) return { ...state, details: null }
      if (state.filter) return { ...state, filter: '', cursor: { ...state.cursor, [state.view]: 0 } }
      return { ...state, message: null }
    case 'filter-start':
      return { ...state, filtering: true, details: null, message: null }
    case 'filter-input':
      return { ...state, filter: state.filter + action.text, cursor: { ...state.cursor, [state.view]: 0 } }
    case 'filter-erase':
      return { ...state, filter: state.filter.slice(0, -1), cursor: { ...state.cursor, [state.view]: 0 } }
    case 'filter-end':
      return { ...state, filtering: false }
    case 'sort-next':
      if (state.view === 'nodes') return { ...state, nodeSort: nextOf(NODE_SORTS, state.nodeSort), message: null }
      if (state.view === 'apps') return { ...state, appSort: nextOf(APP_SORTS, state.appSort), message: null }
      return { ...state, message: { text: 'Events are always newest first.', tone: 'info' } }
    case 'help':
      return { ...state, dialog: state.dialog.kind === 'help' ? { kind: 'none' } : { kind: 'help' } }
    case 'begin-action':
      return beginAction(state, action)
    case 'picker-move': {
      if (state.dialog.kind !== 'picker') return state
      const n = state.dialog.options.length
      const index = n === 0 ? 0 : (state.dialog.index + action.delta + n) % n
      return { ...state, dialog: { ...state.dialog, index } }
    }
    case 'picker-choose': {
      const d = state.dialog
      if (d.kind !== 'picker' || d.options.length === 0) return state
      return { ...state, dialog: { kind: 'confirm', action: d.action, app: d.app, target: d.options[d.index]! } }
    }
    case 'confirm': {
      const d = state.dialog
      if (d.kind !== 'confirm') return state
      if (state.readOnly) return { ...state, dialog: { kind: 'none' }, message: { text: READ_ONLY_REFUSAL, tone: 'error' } }
      const operation: Operation = { id: state.nextOperationId, action: d.action, app: d.app, target: d.target, events: [], status: 'running', error: null }
      return { ...state, dialog: { kind: 'operation' }, operation, nextOperationId: state.nextOperationId + 1, message: null }
    }
    case 'cancel':
      return cancelDialog(state)
    case 'operation-event':
      return updateOperation(state, action.id, (op) => ({ ...op, events: [...op.events, action.event].slice(-OPERATION_EVENTS_KEPT) }))
    case 'operation-done':
      return updateOperation(state, action.id, (op) => ({ ...op, status: 'done' }))
    case 'operation-failed':
      return updateOperation(state, action.id, (op) => ({ ...op, status: 'failed', error: action.error }))
    case 'show-operation':
      return state.operation ? { ...state, dialog: { kind: 'operation' } } : { ...state, message: { text: 'No operation has run yet.', tone: 'info' } }
    case 'message':
      return { ...state, message: { text: action.text, tone: action.tone } }
    case 'quit':
      return { ...state, quit: true }
  }
}

function beginAction(state: ConsoleState, action: Extract<ConsoleAction, { type: 'begin-action' }>): ConsoleState {
  if (state.readOnly) return { ...state, message: { text: READ_ONLY_REFUSAL, tone: 'error' } }
  if (state.operation?.status === 'running') {
    return { ...state, message: { text: `Wait for the ${state.operation.action} of ${state.operation.app} to finish first (o shows it).`, tone: 'error' } }
  }
  if (action.action === 'unpin') return { ...state, dialog: { kind: 'confirm', action: 'unpin', app: action.app, target: null }, message: null }
  if (action.options.length === 0) {
    return { ...state, message: { text: `There is no node to ${action.action} ${action.app} to.`, tone: 'error' } }
  }
  return { ...state, dialog: { kind: 'picker', action: action.action, app: action.app, options: action.options, index: 0 }, message: null }
}

/** Esc on a running operation only hides its panel: the operation itself keeps going. */
function cancelDialog(state: ConsoleState): ConsoleState {
  if (state.dialog.kind === 'operation' && state.operation?.status === 'running') {
    return { ...state, dialog: { kind: 'none' }, message: { text: `The ${state.operation.action} of ${state.operation.app} continues; press o to watch it.`, tone: 'info' } }
  }
  return { ...state, dialog: { kind: 'none' } }
}

function updateOperation(state: ConsoleState, id: number, f: (op: Operation) => Operation): ConsoleState {
  if (!state.operation || state.operation.id !== id) return state
  return { ...state, operation: f(state.operation) }
}

function nextOf<T>(list: readonly T[], current: T): T {
  return list[(list.indexOf(current) + 1) % list.length]!
}
