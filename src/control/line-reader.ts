import { ShoalError } from '../core/errors.js'

/** Splits a byte stream into lines, refusing any line longer than `max` bytes. */
export class LineReader {
  private buf = ''

  constructor(private readonly max: number) {}

  push(chunk: Buffer | string): string[] {
    this.buf += typeof chunk === 'string' ? chunk : chunk.toString('utf8')
    const parts = this.buf.split('\n')
    this.buf = parts.pop() ?? ''
    if (this.buf.length > this.max) throw new ShoalError('BAD_ARGUMENT', `control line longer than ${this.max} bytes`)
    return parts.filter((l) => l.length > 0)
  }
}
