import { joinFrame, type Frame, type Link, type LinkHandler } from './link.js'

/** Frames a side may have queued before send returns false. */
export const MEMORY_LINK_HIGH_WATER = 64

export interface MemoryLinkOptions {
  highWater?: number
  /**
   * Called for every frame as it is delivered; return false to cut the link right there, or
   * other bytes to deliver in its place (a peer that lies).
   */
  onDeliver?: (frame: Uint8Array, from: 'a' | 'b') => boolean | void | Uint8Array
}

/** A connected in-process pair of links for tests. Delivery is asynchronous (a microtask later). */
export interface MemoryLinkPair {
  a: Link
  b: Link
  /** Breaks the connection: pending frames are lost and both sides see onClose. */
  cut(): void
  /** Bytes of frames delivered from each side. */
  bytes: { a: number; b: number }
}

class MemoryLinkEnd implements Link {
  handler: LinkHandler | null = null
  peer!: MemoryLinkEnd
  closed = false
  private readonly inbox: Uint8Array[] = []
  private queued = 0
  private flushing = false
  private wantDrain = false

  constructor(
    private readonly pair: { cut(): void; bytes: { a: number; b: number } },
    private readonly name: 'a' | 'b',
    private readonly opts: MemoryLinkOptions
  ) {}

  send(frame: Frame): boolean {
    if (this.closed) return false
    this.peer.inbox.push(joinFrame(frame))
    this.queued++
    this.peer.scheduleFlush()
    const ok = this.queued < (this.opts.highWater ?? MEMORY_LINK_HIGH_WATER)
    if (!ok) this.wantDrain = true
    return ok
  }

  setHandler(h: LinkHandler): void {
    this.handler = h
    this.scheduleFlush()
  }

  close(): void {
    this.pair.cut()
  }

  private scheduleFlush(): void {
    if (this.flushing || !this.handler) return
    this.flushing = true
    queueMicrotask(() => this.flush())
  }

  private flush(): void {
    this.flushing = false
    while (this.inbox.length && !this.closed && this.handler) {
      const frame = this.inbox.shift()!
      this.peer.queued--
      this.pair.bytes[this.peer.name] += frame.byteLength
      const verdict = this.opts.onDeliver?.(frame, this.peer.name)
      if (verdict === false) {
        this.pair.cut()
        return
      }
      this.handler.onFrame(verdict instanceof Uint8Array ? verdict : frame)
      this.peer.maybeDrain()
    }
  }

  private maybeDrain(): void {
    if (this.wantDrain && this.queued < (this.opts.highWater ?? MEMORY_LINK_HIGH_WATER) / 2 && !this.closed) {
      this.wantDrain = false
      this.handler?.onDrain()
    }
  }

  shut(): void {
    if (this.closed) return
    this.closed = true
    this.inbox.length = 0
    this.handler?.onClose()
  }
}

export function createMemoryLinkPair(opts: MemoryLinkOptions = {}): MemoryLinkPair {
  const pair = {
    bytes: { a: 0, b: 0 },
    cut() {
      a.shut()
      b.shut()
    }
  }
  const a = new MemoryLinkEnd(pair, 'a', opts)
  const b = new MemoryLinkEnd(pair, 'b', opts)
  a.peer = b
  b.peer = a
  return { a, b, cut: () => pair.cut(), bytes: pair.bytes }
}
