import type { MemberView } from '../mesh/mesh.js'
import type { NodeId } from '../core/types.js'

/** Above this many members the mesh stops being full: gossip relays the rest. */
export const MAX_DIRECT_PEERS = 32

export interface Dialer {
  connected(): NodeId[]
  dial(peer: NodeId): void
  forget(peer: NodeId): void
}

/**
 * Keeps small clusters a full mesh: every member gossip tells us about but we have no session
 * with is dialled directly, and dead or departed members are no longer redialled.
 */
export function reconcileDials(members: MemberView[], dialer: Dialer, max = MAX_DIRECT_PEERS): void {
  const connected = new Set(dialer.connected())
  let budget = max - connected.size
  for (const m of members) {
    if (m.self) continue
    const id = m.record.id
    if (m.status === 'dead' || m.status === 'left') dialer.forget(id)
    else if (!connected.has(id) && budget-- > 0) dialer.dial(id)
  }
}
