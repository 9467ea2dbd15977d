/** The terminal's columns and rows, following its resize events. */
import { useEffect, useState } from 'react'
import { useStdout } from 'ink'

export interface TerminalSize {
  columns: number
  rows: number
}

const FALLBACK: TerminalSize = { columns: 80, rows: 24 }

export function useTerminalSize(): TerminalSize {
  const { stdout } = useStdout()
  const read = (): TerminalSize => ({ columns: stdout.columns || FALLBACK.columns, rows: stdout.rows || FALLBACK.rows })
  const [size, setSize] = useState(read)
  useEffect(() => {
    const onResize = () => setSize(read())
    stdout.on('resize', onResize)
    onResize()
    return () => { stdout.off('resize', onResize) }
  }, [stdout])
  return size
}
