/**
 * Polls status() and apps() one after the other, never overlapping, at most every `intervalMs`;
 * `refresh()` (called when an event arrives) brings the next poll forward, but never closer than
 * MIN_GAP_MS to the last one, so an event storm cannot turn into a poll storm.
 */
import { useCallback, useEffect, useRef, useState } from 'react'
import type { NodeStatus } from '../control/types.js'
import { errorSentence } from './error-sentence.js'
import { recordLoad, type LoadHistory } from './load-history.js'
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

export function useClusterPoll(source: ConsoleSource, intervalMs = POLL_MS): { poll: ClusterPoll; refresh: () => void } {
  const [poll, setPoll] = useState<ClusterPoll>(EMPTY)
  const wake = useRef<() => void>(() => {})

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
          setPoll((prev) => ({ nodes: status.nodes, apps: apps.apps, selfId: status.self, history: recordLoad(prev.history, status.nodes), error: null, loaded: true }))
        })
        .catch((err: unknown) => {
          if (!stopped) setPoll((prev) => ({ ...prev, error: errorSentence(err) }))
        })
        .finally(() => {
          running = false
          schedule(wanted ? MIN_GAP_MS : intervalMs)
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
  }, [source, intervalMs])

  const refresh = useCallback(() => wake.current(), [])
  return { poll, refresh }
}
