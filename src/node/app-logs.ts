import type { NodeId } from '../core/types.js'
import type { Mesh } from '../mesh/mesh.js'
import type { PeerRpc } from '../mesh/peer-rpc.js'
import type { LogLine } from '../runtime/log-ring.js'
import type { AppHost } from './app-host.js'

/** `shoal logs` on another node waits this long for a session with the app's master. */
const LOGS_RPC_WAIT_MS = 2000
/** How often a follower looks for a new supervisor (the app restarted here). */
const FOLLOW_CHECK_MS = 200

export interface LogRequest {
  app: string
  lines: number
  follow: boolean
}

/**
 * An app's captured output as this node holds it: the last `lines`, then (with `follow`) each
 * new line, across restarts of the app here, until `signal` aborts.
 */
export async function localLogs(host: () => AppHost | undefined, req: LogRequest, emit: (l: LogLine) => void, signal: AbortSignal): Promise<void> {
  const first = host()
  let current = first?.supervisor ?? null
  for (const l of first?.logs(req.lines) ?? []) emit(l)
  if (!req.follow || signal.aborted) return
  // Followed in the same turn as the history was read: no line falls between the two.
  let off = current === null ? null : current.follow(emit)
  await new Promise<void>((done) => {
    const timer = setInterval(() => {
      const sup = host()?.supervisor ?? null
      if (sup === current) return
      off?.()
      current = sup
      off = null
      if (sup === null) return
      // The app started again here under a new supervisor: all it printed so far is new.
      for (const l of sup.logs.lines()) emit(l)
      off = sup.follow(emit)
    }, FOLLOW_CHECK_MS)
    signal.addEventListener(
      'abort',
      () => {
        clearInterval(timer)
        off?.()
        done()
      },
      { once: true }
    )
  })
}

/**
 * The app's output as its master holds it, asked of the master over the mesh (`app.logs`), so
 * `shoal logs` shows the live output from any node. Null when the master cannot be reached (the
 * caller then shows what this node kept).
 */
export async function masterLogs(rpc: PeerRpc | null, req: LogRequest, emit: (l: LogLine) => void, signal: AbortSignal): Promise<boolean> {
  if (rpc === null || signal.aborted) return false
  const call = rpc.call('app.logs', { ...req })
  const stop = () => void call.return?.()
  signal.addEventListener('abort', stop, { once: true })
  try {
    for await (const r of call) {
      if ('end' in r) break
      if (isLogLine(r.event)) emit(r.event)
    }
    return true
  } finally {
    signal.removeEventListener('abort', stop)
  }
}

/** A peer's log line, checked before it is passed on (bad input from a peer is dropped). */
function isLogLine(v: unknown): v is LogLine {
  const l = v as LogLine | null
  return typeof l === 'object' && l !== null && typeof l.ts === 'number' && typeof l.line === 'string' && (l.stream === 'stdout' || l.stream === 'stderr' || l.stream === 'shoal')
}

/** Parses a log request from the control API or a peer. */
export function logRequest(p: Record<string, unknown>, app: string): LogRequest {
  const lines = Number(p.lines ?? 100)
  return { app, lines: Number.isFinite(lines) && lines >= 0 ? Math.min(Math.floor(lines), 10_000) : 100, follow: p.follow === true }
}


/** What appLogs needs from its node. */
export interface AppLogsSource {
  self: NodeId
  mesh: Mesh
  host(app: string): AppHost | undefined
  /** A call path to `peer` over its own session, waiting up to `waitMs` for one. */
  towards(peer: NodeId, hops: number, waitMs: number): Promise<PeerRpc | null>
}

/**
 * An app's captured output, from its master: this node's own when it is the master (or there is
 * none), else asked of the master over the mesh; what this node kept, said so, when the master
 * cannot be reached.
 */
export async function appLogs(src: AppLogsSource, req: LogRequest, emit: (l: LogLine) => void, signal: AbortSignal): Promise<void> {
  const master = src.mesh.gossip.apps.placements.get(req.app)?.master ?? ''
  const here = () => src.host(req.app)
  if (master === '' || master === src.self) return localLogs(here, req, emit, signal)
  const rpc = await src.towards(master, 1, LOGS_RPC_WAIT_MS)
  if (await masterLogs(rpc, req, emit, signal).catch(() => false)) return
  const name = src.mesh.gossip.table.get(master)?.record?.name ?? master.slice(0, 8)
  emit({ ts: Date.now(), stream: 'shoal', line: `cannot reach ${name}, the master: showing the output this node kept` })
  return localLogs(here, req, emit, signal)
}
