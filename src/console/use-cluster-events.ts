/**
 * Subscribes to the live event stream and hands the events to React in batches, at most once
 * per FLUSH_MS, so a burst of events costs one redraw. Keeps the newest `keep` events.
 */
import { useEffect, useState } from 'react'
import type { ClusterEvent } from '../control/types.js'
import type { ConsoleSource } from './source.js'

const FLUSH_MS = 100
export const EVENTS_KEPT = 500

export function useClusterEvents(source: ConsoleSource, onEvent: () => void, keep = EVENTS_KEPT): ClusterEvent[] {
  const [events, setEvents] = useState<ClusterEvent[]>([])
  useEffect(() => {
    let pending: ClusterEvent[] = []
    let timer: ReturnType<typeof setTimeout> | null = null
    const flush = () => {
      timer = null
      const batch = pending
      pending = []
      setEvents((prev) => {
        const next = prev.concat(batch)
        return next.length > keep ? next.slice(next.length - keep) : next
      })
      onEvent()
    }
    const unsubscribe = source.subscribe((e) => {
      pending.push(e)
      timer ??= setTimeout(flush, FLUSH_MS)
    })
    return () => {
      unsubscribe()
      if (timer) clearTimeout(timer)
    }
  }, [source, onEvent, keep])
  return events
}
