/**
 * The console wired to a source: polls and events feed the data, keys feed the reducer, the
 * operation runner streams confirmed actions, and ConsoleScreen draws the result.
 */
import { useEffect, useMemo, useRef } from 'react'
import { useApp, useInput } from 'ink'
import { ConsoleScreen } from './ConsoleScreen.js'
import { keyAction } from './key-bindings.js'
import { PaintContext } from './paint-context.js'
import { painter } from './paint.js'
import { screenRows } from './screen-rows.js'
import { splitKeys } from './split-keys.js'
import type { ConsoleSource } from './source.js'
import { useAppDetails } from './use-app-details.js'
import { useConsoleState } from './use-console-state.js'
import { useClusterEvents } from './use-cluster-events.js'
import { useClusterPoll, POLL_MS } from './use-cluster-poll.js'
import { useOperationRunner } from './use-operation-runner.js'
import { useTerminalSize } from './use-terminal-size.js'

export interface AppProps {
  source: ConsoleSource
  readOnly: boolean
  color: boolean
  pollMs?: number
  /** Fraction of a core polling may spend redrawing before polls are spaced out (poll-pacing.ts). */
  cpuBudget?: number
  /** Lines the help overlay shows first, e.g. the demo's commands to try. */
  notes?: readonly string[]
}

export function App({ source, readOnly, color, pollMs = POLL_MS, cpuBudget, notes }: AppProps) {
  const { state, latest, dispatch } = useConsoleState(readOnly)
  const size = useTerminalSize()
  const { poll, refresh } = useClusterPoll(source, pollMs, cpuBudget)
  const events = useClusterEvents(source, refresh)
  const appDetail = useAppDetails(source, state.details?.kind === 'app' ? state.details.name : null)
  useOperationRunner(source, state.operation, dispatch)
  const { exit } = useApp()
  useEffect(() => { if (state.quit) exit() }, [state.quit, exit])

  const rows = useMemo(() => screenRows(state, { nodes: poll.nodes, apps: poll.apps, events }), [state, poll, events])
  // Ink re-subscribes the input handler in an effect, after the frame is drawn: a key pressed in
  // between would reach the previous render's closure. The handler reads the newest data here.
  const current = useRef({ poll, events, rows: size.rows })
  current.current = { poll, events, rows: size.rows }
  useInput((input, key) => {
    // Keys typed faster than a read (or pasted) arrive as one string: take them one by one.
    const keys = input.length > 1 && !key.ctrl && !key.meta ? splitKeys(input) : [{ input, key }]
    for (const k of keys) {
      const { poll: p, events: e, rows: height } = current.current
      const now = latest()
      const r = screenRows(now, { nodes: p.nodes, apps: p.apps, events: e })
      const selection = { count: r.count, page: Math.max(1, height - 5), app: r.selectedApp, node: r.selectedNode, nodes: p.nodes }
      const action = keyAction(k.input, k.key, now, selection)
      if (action) dispatch(action)
    }
  })
  const paint = useMemo(() => painter(color), [color])
  return (
    <PaintContext.Provider value={paint}>
      <ConsoleScreen state={state} rows={rows} poll={poll} appDetail={appDetail} size={size} now={Date.now()} notes={notes} />
    </PaintContext.Provider>
  )
}
