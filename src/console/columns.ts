/**
 * Table columns that fit the terminal: columns shrink to their minimum first, then the least
 * important ones are dropped, and spare width goes to the growing ones. Pure, so the layout
 * at 80 columns is tested without a terminal.
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
  width: number
  /** Narrowest the column may shrink to before columns are dropped; defaults to `width`. */
  min?: number
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

export function fitColumns<Row>(columns: readonly Column<Row>[], available: number): FittedColumn<Row>[] {
  let chosen = columns.map((column) => ({ column, width: column.width }))
  const total = () => chosen.reduce((sum, c) => sum + c.width, 0) + GAP * Math.max(0, chosen.length - 1)
  for (const c of [...chosen].sort((a, b) => b.column.priority - a.column.priority)) {
    if (total() <= available) break
    const min = c.column.min ?? c.width
    c.width = Math.max(min, c.width - (total() - available))
  }
  while (total() > available) {
    const droppable = chosen.filter((c) => c.column.priority > 0)
    if (droppable.length === 0) break
    const worst = droppable.reduce((a, b) => (b.column.priority >= a.column.priority ? b : a))
    chosen = chosen.filter((c) => c !== worst)
  }
  const growing = chosen.filter((c) => c.column.grow)
  const spare = available - total()
  if (spare > 0 && growing.length > 0) {
    const each = Math.floor(spare / growing.length)
    growing.forEach((c, i) => { c.width += each + (i === 0 ? spare - each * growing.length : 0) })
  }
  return chosen
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
