/** What an idle or lightly used upstream connection reads into. */
export const READ_BUFFER_SMALL = 16 * 1024
/** What a connection streaming a large body reads into (Node's own read size). */
export const READ_BUFFER_LARGE = 64 * 1024

/**
 * The memory one upstream connection reads into (net.Socket's `onread`), so reads allocate
 * nothing: Node reads into it and calls back synchronously. The bytes are valid only during that
 * callback; whoever keeps them past it (a write that was queued rather than sent at once) must
 * call `retain`, and the next read then goes into fresh memory.
 *
 * It starts small and grows while reads fill it (a large body streaming through), shrinking back
 * once they stop, so thousands of idle keep-alive connections cost 16 KiB each, not 64.
 */
export class ReadBuffer {
  private buf: Buffer = Buffer.allocUnsafe(READ_BUFFER_SMALL)
  private retained = false
  private lastFull = false

  /** The memory for the next read (net.Socket calls this after every read). */
  next(): Buffer {
    const want = this.lastFull ? READ_BUFFER_LARGE : READ_BUFFER_SMALL
    if (this.retained || this.buf.length !== want) {
      this.buf = Buffer.allocUnsafe(want)
      this.retained = false
    }
    return this.buf
  }

  /** Called with each read's size, before its bytes are handled. */
  filled(n: number, buf: Buffer): void {
    this.lastFull = n === buf.length
  }

  /** The bytes of the last read are still referenced (e.g. queued on a socket). */
  retain(): void {
    this.retained = true
  }
}
