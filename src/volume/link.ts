/**
 * A message link between two replication endpoints: ordered, reliable frames, with
 * backpressure. One link carries one direction of replication (one sender, one receiver).
 */
export interface Link {
  /**
   * Queues a frame. The link owns `frame` from now on (the caller must not reuse it). Returns
   * false when the link's buffer is full: the caller should wait for onDrain before sending
   * more. Frames sent after close are dropped.
   */
  send(frame: Uint8Array): boolean
  /**
   * Installs the handler. Frames that arrived before it was set are delivered to it right away.
   * onClose is called once, whichever side closed or if the connection broke.
   */
  setHandler(h: LinkHandler): void
  /** Closes the link; idempotent. */
  close(): void
}

export interface LinkHandler {
  onFrame(frame: Uint8Array): void
  onDrain(): void
  onClose(): void
}
