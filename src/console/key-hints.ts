/**
 * The footer's key hints for the current view: only keys that do something there (key-bindings.ts
 * decides what each key does). Enter opens details of a node or an app, not of an event, and
 * events are always newest first, so the Events view offers neither Enter nor s.
 */
import type { ConsoleState } from './console-reducer.js'

export function keyHints(state: ConsoleState): string {
  if (state.details) {
    const actions = state.details.kind === 'app' && !state.readOnly ? ['p pin', 'u unpin', 'm move', 'P promote', 'd drill'] : []
    return ['Esc back', ...actions, '? help', 'q quit'].join(' · ')
  }
  const keys = ['? help', '/ filter']
  if (state.view === 'nodes') keys.push(`s sort (${state.nodeSort})`, 'Enter details')
  if (state.view === 'apps') keys.push(`s sort (${state.appSort})`, 'Enter details')
  keys.push('q quit')
  return `${state.filter ? `filter "${state.filter}" (Esc clears) · ` : ''}${keys.join(' · ')}`
}
