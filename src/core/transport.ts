import type { ShoalError } from './errors.js'
import type { NodeId } from './types.js'

/** What a transport reports to the mesh layer above it. Handlers must not throw. */
export interface TransportHandler {
  /** An admitted peer's session opened. */
  onOpen(peer: NodeId): void
  /** The session closed (the peer may still be alive: only the failure detector decides). */
  onClose(peer: NodeId): void
  /** One mesh frame from an admitted peer. The buffer belongs to the receiver. */
  onFrame(peer: NodeId, frame: Uint8Array): void
}

/**
 * Sessions with admitted peers, carrying opaque mesh frames. Implemented over hyperswarm and
 * protomux for real nodes (mesh/swarm-transport.ts) and in memory for tests and simulations.
 */
export interface Transport {
  readonly localId: NodeId
  setHandler(handler: TransportHandler): void
  /** Peers with an open, admitted session. */
  connected(): NodeId[]
  isConnected(peer: NodeId): boolean
  /** Queues a frame; false when the peer has no open session. Never blocks, never throws. */
  send(peer: NodeId, frame: Uint8Array): boolean
  /** Closes the session with a peer, e.g. after it sent a bad frame. */
  drop(peer: NodeId, reason: ShoalError): void
}
