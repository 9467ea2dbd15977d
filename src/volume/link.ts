/**
 * One frame for a Link: whole, or in parts that the link joins (a chunk's small head and its
 * bytes, without first copying both into one buffer).
 */
export type Frame = Uint8Array | readonly Uint8Array[]

/**
 * A message link between two replication endpoints: ordered, reliable frames, with
 * backpressure. One link carries one direction of replication (one sender, one receiver).
 */
export interface Link {
  /**
   * Queues a frame. A whole frame is owned by the link from now on (the caller must not reuse
   * it); a frame in parts is copied before this returns, so the caller may reuse the parts at
   * once. Returns false when the link's buffer is full: the caller should wait for onDrain
   * before sending more. Frames sent after close are dropped.
   */
  send(frame: Frame): boolean
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

/** Bytes in a frame. */
export function frameLength(frame: Frame): number {
  if (frame instanceof Uint8Array) return frame.byteLength
  let n = 0
  for (const part of frame) n += part.byteLength
  return n
}

/** The frame as one buffer of its own (a whole frame is returned as it is). */
export function joinFrame(frame: Frame): Uint8Array {
  return frame instanceof Uint8Array ? frame : Buffer.concat(frame)
}
