/**
 * Runs one confirmed operation against the source and reports its progress as reducer actions.
 * Never rejects: a failure becomes an `operation-failed` action with a plain sentence.
 */
import type { ConsoleAction, Operation } from './console-reducer.js'
import { errorSentence } from './error-sentence.js'
import type { ConsoleSource, DrillMode } from './source.js'
import type { OperationEvent } from '../control/types.js'

export async function runOperation(source: ConsoleSource, op: Operation, emit: (a: ConsoleAction) => void, live: () => boolean = () => true): Promise<void> {
  try {
    if (op.action === 'unpin') {
      await source.unpin(op.app)
      if (live()) emit({ type: 'operation-done', id: op.id })
      return
    }
    for await (const event of stream(source, op)) {
      if (!live()) return
      emit({ type: 'operation-event', id: op.id, event })
    }
    if (live()) emit({ type: 'operation-done', id: op.id })
  } catch (err) {
    if (live()) emit({ type: 'operation-failed', id: op.id, error: errorSentence(err) })
  }
}

function stream(source: ConsoleSource, op: Operation): AsyncIterable<OperationEvent> {
  const target = op.target ?? ''
  switch (op.action) {
    case 'move': return source.move(op.app, target)
    case 'promote': return source.promote(op.app, target)
    case 'pin': return source.pin(op.app, target)
    case 'drill': return source.drill(op.app, target as DrillMode)
    case 'unpin': throw new Error('unpin is not streamed')
  }
}
