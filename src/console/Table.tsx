/**
 * A list view: a header and the rows around the cursor, formatted as single lines so a frame of
 * a thousand-row list still renders only what fits. The selected row is marked with "›" (and
 * drawn bold when colour is on).
 */
import { usePaint } from './paint-context.js'
import { fitColumns, headerLine, rowLine, type Column } from './columns.js'
import { scrollWindow } from './scroll-window.js'
import { Lines } from './Lines.js'

export interface TableProps<Row> {
  columns: readonly Column<Row>[]
  rows: readonly Row[]
  cursor: number
  width: number
  height: number
  /** Shown instead of rows when there are none. */
  empty: string
  /** Draw the cursor; off while a dialog has the keyboard. */
  showCursor?: boolean
}

const MARK = 2

export function Table<Row>({ columns, rows, cursor, width, height, empty, showCursor = true }: TableProps<Row>) {
  const paint = usePaint()
  const fitted = fitColumns(columns, width - MARK)
  const lines = [paint(' '.repeat(MARK) + headerLine(fitted), 'bold')]
  const { start, end } = scrollWindow(cursor, rows.length, height - 1)
  for (let i = start; i < end; i++) {
    const selected = showCursor && i === Math.min(cursor, rows.length - 1)
    const line = rowLine(fitted, rows[i]!, paint)
    lines.push(selected ? paint('› ' + line, 'bold') : '  ' + line)
  }
  if (rows.length === 0) lines.push('  ' + empty)
  const fits = fitted.reduce((sum, c) => sum + c.width + 1, MARK - 1) <= width && empty.length + MARK <= width
  return <Lines lines={lines} height={height} cut={!fits} />
}
