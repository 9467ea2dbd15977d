/**
 * Polls status() and apps() one after the other, never overlapping, every `intervalMs` or
 * longer when redrawing costs too much (poll-pacing.ts); `refresh()` (called when an event
 * arrives) brings the next poll forward, but never closer than MIN_GAP_MS to the last one, so an
 * event storm cannot turn into a poll storm.
 */
import { useCallback, useEffect, useLayoutEffect, useRef, useState } from 'react'
import type { NodeStatus } from '../control/types.js'
import { errorSentence } from './error-sentence.js'
import { recordLoad, type LoadHistory } from './load-history.js'
import { CPU_BUDGET, nextPollDelay, recordDrawCost, type PollPacing } from './poll-pacing.js'
import type { ConsoleAppStatus, ConsoleSource } from './source.js'

export const POLL_MS = 2000
const MIN_GAP_MS = 250

export interface ClusterPoll {
  nodes: NodeStatus[]
  apps: ConsoleAppStatus[]
  selfId: string | null
  history: LoadHistory
  /** Plain sentence when the last poll failed; the previous figures stay shown. */
  error: string | null
  loaded: boolean
}

const EMPTY: ClusterPoll = { nodes: [], apps: [], selfId: null, history: new Map(), error: null, loaded: false }

export function useClusterPoll(source: ConsoleSource, intervalMs = POLL_MS, cpuBudget = CPU_BUDGET): { poll: ClusterPoll; refresh: () => void } {
  const [poll, setPoll] = useState<ClusterPoll>(EMPTY)
  const wake = useRef<() => void>(() => {})
  const pacing = useRef<PollPacing>({ costMs: 0 })
  const drawStart = useRef(0)

  // Layout effects run after Ink has drawn the committed frame: the time since setPoll is the
  // cost of one redraw.
  useLayoutEffect(() => {
    if (drawStart.current === 0) return
    pacing.current = recordDrawCost(pacing.current, performance.now() - drawStart.current)
    drawStart.current = 0
  }, [poll])

  useEffect(() => {
    let stopped = false
    let timer: ReturnType<typeof setTimeout> | null = null
    let last = 0
    let running = false
    let wanted = false

    const schedule = (delay: number) => {
      if (stopped) return
      if (timer) clearTimeout(timer)
      timer = setTimeout(() => { timer = null; tick() }, Math.max(0, delay))
    }
    const tick = () => {
      if (stopped) return
      if (running) { wanted = true; return }
      running = true
      last = Date.now()
      Promise.all([source.status(), source.apps()])
        .then(([status, apps]) => {
          if (stopped) return
          drawStart.current = performance.now()
          setPoll((prev) => ({ nodes: status.nodes, apps: apps.apps, selfId: status.self, history: recordLoad(prev.history, status.nodes), error: null, loaded: true }))
        })
        .catch((err: unknown) => {
          if (!stopped) setPoll((prev) => ({ ...prev, error: errorSentence(err) }))
        })
        .finally(() => {
          running = false
          schedule(wanted ? MIN_GAP_MS : nextPollDelay(pacing.current, intervalMs, cpuBudget))
          wanted = false
        })
    }
    wake.current = () => {
      if (running) { wanted = true; return }
      schedule(Math.max(0, last + MIN_GAP_MS - Date.now()))
    }
    tick()
    return () => {
      stopped = true
      if (timer) clearTimeout(timer)
    }
  }, [source, intervalMs, cpuBudget])

  const refresh = useCallback(() => wake.current(), [])
  return { poll, refresh }
}
