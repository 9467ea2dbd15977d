/** Lines kept per app by default. */
export const LOG_LINES = 2_000
/** A longer line is cut into pieces of this many characters. */
export const MAX_LINE_CHARS = 8_192

export type LogStream = 'stdout' | 'stderr' | 'shoal'

export interface LogLine {
  /** Milliseconds since the epoch when the line was completed. */
  ts: number
  /** `shoal` lines are the supervisor's own notes (started, exited, restarting). */
  stream: LogStream
  line: string
}

/**
 * The last N output lines of an app, readable at any time and followable. Memory is bounded by
 * the line count times MAX_LINE_CHARS.
 */
export class LogRing {
  private readonly buf: LogLine[] = []
  private start = 0
  private readonly followers = new Set<(line: LogLine) => void>()

  constructor(readonly capacity = LOG_LINES) {}

  push(line: LogLine): void {
    if (this.buf.length < this.capacity) this.buf.push(line)
    else {
      this.buf[this.start] = line
      this.start = (this.start + 1) % this.capacity
    }
    for (const fn of this.followers) fn(line)
  }

  /** The newest `limit` lines (all by default), oldest first. */
  lines(limit = this.capacity): LogLine[] {
    const ordered = this.buf.length < this.capacity ? this.buf.slice() : [...this.buf.slice(this.start), ...this.buf.slice(0, this.start)]
    return limit >= ordered.length ? ordered : ordered.slice(ordered.length - limit)
  }

  /** Calls `fn` for every new line until the returned function is called. `fn` must not throw. */
  follow(fn: (line: LogLine) => void): () => void {
    this.followers.add(fn)
    return () => this.followers.delete(fn)
  }
}

/** Splits a byte stream into lines for a LogRing; a partial last line waits for its end. */
export class LineSplitter {
  private partial = ''
  constructor(
    private readonly stream: LogStream,
    private readonly sink: (line: LogLine) => void,
    private readonly now: () => number = Date.now
  ) {}

  write(chunk: Buffer | string): void {
    const text = this.partial + chunk.toString()
    const parts = text.split('\n')
    this.partial = parts.pop() ?? ''
    for (const p of parts) this.emit(p.endsWith('\r') ? p.slice(0, -1) : p)
    while (this.partial.length > MAX_LINE_CHARS) {
      this.emit(this.partial.slice(0, MAX_LINE_CHARS))
      this.partial = this.partial.slice(MAX_LINE_CHARS)
    }
  }

  /** Emits the unfinished last line, if any (at process exit). */
  flush(): void {
    if (this.partial) this.emit(this.partial)
    this.partial = ''
  }

  private emit(line: string): void {
    for (let i = 0; i < line.length || i === 0; i += MAX_LINE_CHARS) {
      this.sink({ ts: this.now(), stream: this.stream, line: line.slice(i, i + MAX_LINE_CHARS) })
      if (line.length === 0) break
    }
  }
}
