import { debuglog } from 'node:util'
import type Protomux from 'protomux'
import type { NodeId } from '../core/types.js'
import type { Mesh } from '../mesh/mesh.js'
import { PeerRpc, type RpcHandler } from '../mesh/peer-rpc.js'
import { MeshTunnel } from '../mesh/tunnel.js'
import type { TunnelStream } from '../mesh/tunnel-stream.js'

const debug = debuglog('shoal')

/** How long a call waits for a session with its peer before going through another node. */
export const RPC_WAIT_MS = 3000
/**
 * A planned move needs the target's own session and waits longer for it: the target is alive
 * (the move checked), so a missing session is one being dialled again, e.g. after a connection
 * dropped on a loaded machine, and an operator's move should not fail for that.
 */
export const MOVE_RPC_WAIT_MS = 10_000

export interface PeerSessionsOptions {
  mesh: Mesh
  /** The node-to-node methods this node serves (read for each new session). */
  handlers: () => Record<string, RpcHandler>
  /** A peer forwards a connection (`http:APP` or `tcp:APP`) for an app mastered here. */
  onTunnel: (name: string, stream: TunnelStream) => void
}

/**
 * What a node opens on each admitted mesh session besides replication: node-to-node calls
 * (PeerRpc) and tunnels for forwarded connections (MeshTunnel). A newer session with a peer
 * replaces the older one's.
 */
export class PeerSessions {
  private readonly tunnels = new Map<NodeId, MeshTunnel>()
  private readonly rpcs = new Map<NodeId, PeerRpc>()

  constructor(private readonly o: PeerSessionsOptions) {}

  attach(peer: NodeId, mux: Protomux): void {
    this.rpcs.get(peer)?.close()
    try {
      this.rpcs.set(peer, new PeerRpc(mux, this.o.handlers()))
    } catch (err) {
      debug('no rpc channel to %s: %s', peer.slice(0, 12), err)
    }
    this.tunnels.get(peer)?.close()
    try {
      const tunnel = new MeshTunnel(mux, { onStream: (name, stream) => this.o.onTunnel(name, stream) })
      tunnel.on('close', () => {
        if (this.tunnels.get(peer) === tunnel) this.tunnels.delete(peer)
      })
      tunnel.on('bad-frame', (err: Error) => debug('tunnel from %s: %s', peer.slice(0, 12), err.message))
      this.tunnels.set(peer, tunnel)
    } catch (err) {
      debug('no tunnel to %s: %s', peer.slice(0, 12), err)
    }
  }

  /** Calls to `peer` over its own session, if there is one now. */
  rpc(peer: NodeId): PeerRpc | null {
    return this.rpcs.get(peer) ?? null
  }

  /**
   * A call path to `peer`: its own session, else (after a short wait for one, the dialer is at
   * work) a connected peer that has one and will forward. One relay hop at most.
   */
  async towards(peer: NodeId, hops: number, waitMs = RPC_WAIT_MS): Promise<PeerRpc | null> {
    const deadline = Date.now() + waitMs
    for (;;) {
      const direct = this.rpcs.get(peer)
      if (direct !== undefined) return direct
      if (Date.now() > deadline) break
      await new Promise((r) => setTimeout(r, 100))
    }
    if (hops > 0) return null
    for (const [id, rpc] of this.rpcs) if (id !== peer && this.o.mesh.heardFrom(id, 2000)) return rpc
    return null
  }

  /** True when a mesh session with `peer` can carry tunnelled connections now. */
  hasTunnel(peer: NodeId): boolean {
    return this.tunnels.has(peer)
  }

  /** A new tunnelled connection to `peer` named `name`, or null without a session. */
  openTunnel(peer: NodeId, name: string): ReturnType<MeshTunnel['open']> | null {
    return this.tunnels.get(peer)?.open(name) ?? null
  }

  /** Fails the connections tunnelled to `peer` now (it was declared dead). */
  closeTunnel(peer: NodeId): void {
    this.tunnels.get(peer)?.close()
  }

  close(): void {
    for (const t of this.tunnels.values()) t.close()
    for (const r of this.rpcs.values()) r.close()
  }
}
