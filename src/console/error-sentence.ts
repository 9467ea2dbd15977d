/**
 * Errors as the plain sentences an operator reads: the code picks the sentence, the error's own
 * message adds the particulars. Unknown errors still become one readable line.
 */
import { isErrorCode, type ErrorCode } from '../core/errors.js'

const SENTENCES: Partial<Record<ErrorCode, string>> = {
  NODE_NOT_RUNNING: 'The node is not running.',
  CONTROL_CLOSED: 'The connection to the node was closed.',
  NODE_CLOSED: 'The node is shutting down.',
  UNKNOWN_APP: 'There is no such app.',
  UNKNOWN_NODE: 'That node is unknown or not reachable.',
  NOT_FOUND: 'It was not found.',
  NO_MASTER: 'The app has no master right now.',
  NOT_A_REPLICA: 'That node holds no replica of the app, so it cannot be promoted.',
  APP_BUSY: 'The app is busy with another operation.',
  MIGRATION_ABORTED: 'The move was aborted and the app keeps running where it was.',
  READ_ONLY: 'This console is read-only.',
  BAD_ARGUMENT: 'The request was refused.',
  STREAM_STALLED: 'The data transfer stalled.',
  INTERNAL: 'The node hit an internal error.'
}

export function errorSentence(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code
  const detail = err instanceof Error ? err.message : typeof err === 'string' ? err : ''
  const sentence = isErrorCode(code) ? SENTENCES[code] : undefined
  if (!sentence) return detail ? capitalise(detail) : 'Something went wrong.'
  return detail ? `${sentence} (${detail})` : sentence
}

function capitalise(s: string): string {
  const t = s.charAt(0).toUpperCase() + s.slice(1)
  return /[.!?)]$/.test(t) ? t : `${t}.`
}
