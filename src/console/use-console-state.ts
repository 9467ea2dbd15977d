/**
 * The reducer's state held in a ref and rendered through a tick: key handlers read the state
 * every earlier key produced, even when keys arrive faster than React re-renders (a paste, a
 * script, an SSH client sending a burst). useReducer would hand them the last rendered state.
 */
import { useCallback, useRef, useState } from 'react'
import { consoleReducer, initialState, type ConsoleAction, type ConsoleState } from './console-reducer.js'

export function useConsoleState(readOnly: boolean): { state: ConsoleState; latest: () => ConsoleState; dispatch: (a: ConsoleAction) => void } {
  const ref = useRef<ConsoleState | null>(null)
  ref.current ??= initialState({ readOnly })
  const [, setTick] = useState(0)
  const dispatch = useCallback((action: ConsoleAction) => {
    const next = consoleReducer(ref.current!, action)
    if (next === ref.current) return
    ref.current = next
    setTick((t) => t + 1)
  }, [])
  const latest = useCallback(() => ref.current!, [])
  return { state: ref.current, latest, dispatch }
}
