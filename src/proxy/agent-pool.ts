import http from 'node:http'
import type { Duplex } from 'node:stream'
import { targetKey, type Target } from './route.js'

/** Idle keep-alive connections kept per target. */
export const MAX_FREE_SOCKETS = 256
/** An idle pooled connection is closed after this long (below common app keep-alive timeouts). */
export const POOL_IDLE_MS = 4_000

export interface AgentPoolOptions {
  maxFreeSockets?: number
  idleMs?: number
}

/**
 * One keep-alive http.Agent per target, so forwarded requests reuse upstream connections.
 * Tunnel targets get an agent whose connections are mesh tunnel streams.
 */
export class AgentPool {
  private readonly agents = new Map<string, http.Agent>()
  private readonly maxFreeSockets: number
  private readonly idleMs: number

  constructor(opts: AgentPoolOptions = {}) {
    this.maxFreeSockets = opts.maxFreeSockets ?? MAX_FREE_SOCKETS
    this.idleMs = opts.idleMs ?? POOL_IDLE_MS
  }

  /** The agent for a target; created on first use. */
  agent(target: Target): http.Agent {
    const key = targetKey(target)
    let agent = this.agents.get(key)
    if (agent) return agent
    agent = new http.Agent({ keepAlive: true, maxFreeSockets: this.maxFreeSockets, timeout: this.idleMs, scheduling: 'lifo' })
    if (target.kind === 'tunnel') {
      const open = target.open
      // The agent asks for a socket; a tunnel stream stands in for it.
      ;(agent as unknown as { createConnection: () => Duplex }).createConnection = () => open()
    }
    this.agents.set(key, agent)
    return agent
  }

  /** Closes every pooled connection. */
  destroy(): void {
    for (const a of this.agents.values()) a.destroy()
    this.agents.clear()
  }
}
