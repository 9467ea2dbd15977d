import type { KeyPair } from 'hyperdht'
import type Protomux from 'protomux'
import type { NodeId } from '../core/types.js'
import type { ClusterEvent } from '../control/types.js'
import { DataLinks } from '../mesh/data-links.js'
import type { Mesh } from '../mesh/mesh.js'
import type { ReplicationHub } from './replication-hub.js'
import { portError } from './port-error.js'

/** How often data sessions are checked against the mesh sessions (see DataSessions.sweep). */
export const SWEEP_MS = 250

export interface DataSessionsOptions {
  keyPair: KeyPair
  host: string
  port: number
  mesh: Mesh
  hub: ReplicationHub
  events: (e: ClusterEvent) => void
}

/**
 * The node's direct data sessions (DataLinks) wired to its mesh and replication hub: admitted
 * mesh members may open one, replication channels are accepted on them, and a peer is dialled
 * at the addresses and data port its gossiped record advertises. When a peer's data port does
 * not answer, the event log says so once (transfers to it then go over the mesh, slower).
 */
export class DataSessions {
  readonly links: DataLinks
  private readonly unreachable = new Set<NodeId>()
  private readonly sweeper: NodeJS.Timeout

  constructor(private readonly o: DataSessionsOptions) {
    this.links = new DataLinks({
      keyPair: o.keyPair,
      host: o.host,
      port: o.port,
      // Only while an admitted mesh session with the peer is open (see sweep()).
      admitted: (peer) => o.mesh.transport.isConnected(peer),
      onSession: (peer, mux) => o.hub.attachData(peer, mux)
    })
    this.sweeper = setInterval(() => this.sweep(), SWEEP_MS)
    this.sweeper.unref()
    this.links.on('failed', (peer: NodeId, err: Error) => {
      if (this.unreachable.has(peer)) return
      this.unreachable.add(peer)
      const name = o.mesh.gossip.table.get(peer)?.record?.name ?? peer.slice(0, 12)
      o.events({ at: Date.now(), kind: 'error', node: peer, nodeName: name, message: `replication to ${name} goes over the mesh (slower): its data port did not answer: ${err.message}` })
    })
  }

  /**
   * A data session lives only as long as the mesh session with the same peer: a peer cut off
   * from the mesh (a partition, a drill, a death) must not go on sending snapshots around it.
   * Checked every SWEEP_MS; a dial needs a mesh session too.
   */
  private sweep(): void {
    for (const peer of this.links.peers()) if (!this.o.mesh.transport.isConnected(peer)) this.links.drop(peer)
  }

  async listen(): Promise<void> {
    await this.links.listen().catch((err: NodeJS.ErrnoException) => {
      throw portError(err, `the data port ${this.o.host}:${this.o.port}`, '--data-port P (or --no-data-port)')
    })
  }

  get port(): number {
    return this.links.port
  }

  /** A direct session with `peer` at its advertised data port, or null (use the mesh). */
  async dial(peer: NodeId): Promise<Protomux | null> {
    const record = this.o.mesh.gossip.table.get(peer)?.record
    if (!record?.dataPort || !this.o.mesh.transport.isConnected(peer)) return null
    const port = record.dataPort
    const mux = await this.links.connect(
      peer,
      record.addresses.map((host) => ({ host, port }))
    )
    if (mux !== null) this.unreachable.delete(peer)
    return mux
  }

  close(): Promise<void> {
    clearInterval(this.sweeper)
    return this.links.close()
  }
}
