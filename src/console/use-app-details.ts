/** Snapshots and the log tail of the app whose details are open, refreshed while it stays open. */
import { useEffect, useState } from 'react'
import { errorSentence } from './error-sentence.js'
import type { ConsoleSource, SnapshotInfo } from './source.js'

export const DETAILS_POLL_MS = 2000
export const LOG_LINES = 50

export interface AppDetailData {
  app: string
  snapshots: SnapshotInfo[]
  logs: string[]
  error: string | null
}

export function useAppDetails(source: ConsoleSource, app: string | null, intervalMs = DETAILS_POLL_MS): AppDetailData | null {
  const [data, setData] = useState<AppDetailData | null>(null)
  useEffect(() => {
    if (!app) { setData(null); return }
    let stopped = false
    let timer: ReturnType<typeof setTimeout> | null = null
    const load = () => {
      Promise.all([source.snapshots(app), source.logs(app, LOG_LINES)])
        .then(([snapshots, logs]) => { if (!stopped) setData({ app, snapshots, logs, error: null }) })
        .catch((err: unknown) => { if (!stopped) setData((prev) => ({ app, snapshots: prev?.app === app ? prev.snapshots : [], logs: prev?.app === app ? prev.logs : [], error: errorSentence(err) })) })
        .finally(() => { if (!stopped) timer = setTimeout(load, intervalMs) })
    }
    load()
    return () => {
      stopped = true
      if (timer) clearTimeout(timer)
    }
  }, [source, app, intervalMs])
  return data && data.app === app ? data : null
}
