import { ShoalError } from '../core/errors.js'
import type { OperationEvent } from '../control/types.js'
import type { RpcHandler } from '../mesh/peer-rpc.js'
import { localLogs, logRequest } from './app-logs.js'
import type { LocalApps } from './local-apps.js'

/**
 * The node-to-node methods about apps this node serves to its peers: a move forwarded to the
 * master, a takeover or staging asked of a move's target, and the app's output here.
 */
export function appRpcHandlers(apps: Pick<LocalApps, 'move' | 'host' | 'hosts'>): Record<string, RpcHandler> {
  return {
    'app.move': async (p, emit) => {
      if (typeof p.app !== 'string' || typeof p.target !== 'string') throw new ShoalError('BAD_ARGUMENT', 'app.move needs app and target')
      return apps.move(p.app, p.target, (e: OperationEvent) => emit(e), { hops: typeof p.hops === 'number' ? p.hops : 1, requireReplica: p.requireReplica === true })
    },
    // Only this node's own output: a node asks the master directly, never through another.
    'app.logs': async (p, emit, signal) => {
      if (typeof p.app !== 'string') throw new ShoalError('BAD_ARGUMENT', 'app.logs needs app')
      const app = p.app
      await localLogs(() => apps.hosts.get(app), logRequest(p, app), emit, signal)
      return { ok: true }
    },
    'app.takeover': async (p) => {
      if (typeof p.app !== 'string' || typeof p.snapshot !== 'string' || typeof p.epoch !== 'number') {
        throw new ShoalError('BAD_ARGUMENT', 'app.takeover needs app, snapshot and epoch')
      }
      return { ok: true, ...(await apps.host(p.app).takeover(p.snapshot, p.epoch)) }
    },
    'app.stage': async (p) => {
      if (typeof p.app !== 'string' || typeof p.snapshot !== 'string') throw new ShoalError('BAD_ARGUMENT', 'app.stage needs app and snapshot')
      await apps.host(p.app).stage(p.snapshot)
      return { ok: true }
    }
  }
}
