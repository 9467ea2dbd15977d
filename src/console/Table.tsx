/**
 * A list view: a header and the rows around the cursor, each row one pre-painted line of fitted
 * columns, drawn through Lines. The selected row is marked with "›" (and bold when colour is on).
 */
import { usePaint } from './paint-context.js'
import { fitColumns, headerLine, rowLine, type Column } from './columns.js'
import { Lines } from './Lines.js'
import { scrollWindow } from './scroll-window.js'
import { styled } from './styled-line.js'

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
  const fitted = fitColumns(columns, width - MARK, rows)
  const used = fitted.reduce((sum, c) => sum + c.width, 0) + Math.max(0, fitted.length - 1)
  // Columns that cannot be dropped may still not fit a very narrow terminal: then the
  // rightmost ones are cut off rather than wrapped.
  const inner = Math.min(used, width - MARK)
  const cut = (line: string) => (used > inner ? line.slice(0, inner) : line)
  const lines = [paint(' '.repeat(MARK) + cut(headerLine(fitted)), 'bold')]
  const { start, end } = scrollWindow(cursor, rows.length, height - 1)
  const selected = showCursor ? Math.min(cursor, rows.length - 1) : -1
  for (let i = start; i < end; i++) {
    const line = used > inner ? cut(rowLine(fitted, rows[i]!, (t) => t)) : rowLine(fitted, rows[i]!, paint)
    lines.push(i === selected ? paint('› ' + line, 'bold') : '  ' + line)
  }
  if (rows.length === 0) lines.push(styled('  ' + empty, width, paint))
  return <Lines lines={lines} width={width} height={height} />
}
