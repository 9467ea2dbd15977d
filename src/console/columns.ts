/**
 * Table columns that fit the terminal: each column asks for its width (a fixed one, or the
 * width of its longest cell), columns shrink to their minimum first, then the least important
 * ones are dropped, and spare width goes to the growing ones up to their maximum. Pure, so the
 * layout at 80 columns is tested without a terminal.
 */
import { fit } from './format.js'
import type { Painter, Tone } from './paint.js'

export interface Cell {
  text: string
  tone?: Tone | null
}

export interface Column<Row> {
  key: string
  title: string
  /** Width asked for; with `content`, only used when there are no rows to measure. */
  width: number
  /** Narrowest the column may shrink to before columns are dropped; defaults to the width asked for. */
  min?: number
  /** Widest it may be: caps the measured width of a `content` column and the growth of a growing one. */
  max?: number
  /**
   * Ask for the width of the longest cell (and the title) instead of `width`, so short values such
   * as zone names are shown whole and long ones are not given room they do not use.
   */
  content?: boolean
  /** Takes a share of spare width. */
  grow?: boolean
  /** Lower is more important; the highest number is dropped first. 0 is never dropped. */
  priority: number
  align?: 'left' | 'right'
  /** The cell's text for this width; `fit` pads or cuts it afterwards. */
  cell: (row: Row, width: number) => Cell
}

export interface FittedColumn<Row> {
  column: Column<Row>
  width: number
}

const GAP = 1

/** Lays out `columns` in `available` cells; `rows` are measured for `content` columns. */
export function fitColumns<Row>(columns: readonly Column<Row>[], available: number, rows: readonly Row[] = []): FittedColumn<Row>[] {
  let chosen = columns.map((column) => ({ column, width: askedWidth(column, rows) }))
  const total = () => chosen.reduce((sum, c) => sum + c.width, 0) + GAP * Math.max(0, chosen.length - 1)
  for (const c of [...chosen].sort((a, b) => b.column.priority - a.column.priority)) {
    if (total() <= available) break
    const min = Math.min(c.column.min ?? c.width, c.width)
    c.width = Math.max(min, c.width - (total() - available))
  }
  while (total() > available) {
    const droppable = chosen.filter((c) => c.column.priority > 0)
    if (droppable.length === 0) break
    const worst = droppable.reduce((a, b) => (b.column.priority >= a.column.priority ? b : a))
    chosen = chosen.filter((c) => c !== worst)
  }
  share(chosen.filter((c) => c.column.grow), available - total())
  return chosen
}

function askedWidth<Row>(column: Column<Row>, rows: readonly Row[]): number {
  const max = column.max ?? Number.POSITIVE_INFINITY
  if (!column.content || rows.length === 0) return Math.min(column.width, max)
  let widest = column.title.length
  for (const row of rows) {
    widest = Math.max(widest, column.cell(row, max).text.length)
    if (widest >= max) return max
  }
  return widest
}

/** Spreads `spare` cells evenly over the growing columns, none past its max. */
function share<Row>(growing: FittedColumn<Row>[], spare: number): void {
  let open = growing.filter((c) => c.width < (c.column.max ?? Number.POSITIVE_INFINITY))
  while (spare > 0 && open.length > 0) {
    const each = Math.max(1, Math.floor(spare / open.length))
    for (const c of open) {
      const add = Math.min(each, spare, (c.column.max ?? Number.POSITIVE_INFINITY) - c.width)
      c.width += add
      spare -= add
    }
    open = open.filter((c) => c.width < (c.column.max ?? Number.POSITIVE_INFINITY))
  }
}

export function headerLine<Row>(cols: readonly FittedColumn<Row>[]): string {
  return cols.map((c) => fit(c.column.title, c.width, c.column.align)).join(' '.repeat(GAP))
}

export function rowLine<Row>(cols: readonly FittedColumn<Row>[], row: Row, paint: Painter): string {
  return cols
    .map((c) => {
      const cell = c.column.cell(row, c.width)
      return paint(fit(cell.text, c.width, c.column.align), cell.tone)
    })
    .join(' '.repeat(GAP))
}
