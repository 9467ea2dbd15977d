/** Starts each newly confirmed operation exactly once and feeds its progress to the reducer. */
import { useEffect, useRef } from 'react'
import type { ConsoleAction, Operation } from './console-reducer.js'
import { runOperation } from './run-operation.js'
import type { ConsoleSource } from './source.js'

export function useOperationRunner(source: ConsoleSource, operation: Operation | null, dispatch: (a: ConsoleAction) => void): void {
  const started = useRef(0)
  const mounted = useRef(true)
  useEffect(() => () => { mounted.current = false }, [])
  useEffect(() => {
    if (!operation || operation.status !== 'running' || operation.id <= started.current) return
    started.current = operation.id
    // runOperation never rejects; the catch only guards against a bug turning into a floating rejection.
    runOperation(source, operation, dispatch, () => mounted.current).catch(() => {})
  }, [source, operation, dispatch])
}
