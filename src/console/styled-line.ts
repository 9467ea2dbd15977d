/**
 * One screen line built from painted segments, cut at a given width with an ellipsis. Its plain
 * width is known without measuring, which is what lets Lines draw it through a placeholder.
 */
import type { Painter, Tone } from './paint.js'

export class StyledLine {
  private out = ''
  private used = 0
  private full = false

  constructor(private readonly width: number, private readonly paint: Painter) {}

  /** Appends text in a tone; whatever passes the width is cut and the line ends with "…". */
  add(text: string, tone?: Tone | null): this {
    if (this.full || text === '') return this
    const room = this.width - this.used
    if (text.length > room) {
      const kept = room > 0 ? text.slice(0, room - 1) + '…' : ''
      this.out += this.paint(kept, tone)
      this.used = this.width
      this.full = true
      return this
    }
    this.out += this.paint(text, tone)
    this.used += text.length
    return this
  }

  toString(): string {
    return this.out
  }
}

/** A single-tone line, cut at the width. */
export function styled(text: string, width: number, paint: Painter, tone?: Tone | null): string {
  return new StyledLine(width, paint).add(text, tone).toString()
}
