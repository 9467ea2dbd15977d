/**
 * Every failure an operator or a peer can see carries a stable code. The CLI maps codes to exit
 * statuses and plain sentences; tests match the code, never the wording.
 */
export const ERROR_CODES = {
  BAD_ARGUMENT: 2,
  NODE_NOT_RUNNING: 3,
  BAD_FRAME: 4,
  ADMISSION_FAILED: 5,
  ADMISSION_TIMEOUT: 5,
  PROTOCOL_MISMATCH: 5,
  CONTROL_CLOSED: 6,
  UNKNOWN_METHOD: 2,
  NODE_CLOSED: 6,
  HOME_LOCKED: 7,
  BAD_CLUSTER_KEY: 2,
  BAD_MANIFEST: 8,
  BAD_CHUNK: 8,
  STREAM_STALLED: 8,
  NOT_FOUND: 9,
  APP_EXISTS: 10,
  UNKNOWN_APP: 9,
  UNKNOWN_NODE: 9,
  BAD_SPEC: 2,
  NO_MASTER: 11,
  NOT_A_REPLICA: 12,
  APP_BUSY: 13,
  MIGRATION_ABORTED: 14,
  READ_ONLY: 15,
  GATE_TIMEOUT: 16,
  TUNNEL_CLOSED: 17,
  TUNNEL_RESET: 17,
  /** Another node's front did not take a front link (old version, timeout, refused). */
  LINK_REFUSED: 17,
  /** A connection to another node's address was not made in time. */
  CONNECT_TIMEOUT: 17,
  APP_START_FAILED: 18,
  CRASH_LOOP: 18,
  /** An operator move or promote elsewhere than the node the app is pinned to. */
  APP_PINNED: 19,
  INTERNAL: 1,
  LINK_CLOSED: 8,
  FILE_CHANGING: 8
} as const

export type ErrorCode = keyof typeof ERROR_CODES

export class ShoalError extends Error {
  readonly code: ErrorCode
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
    this.name = 'ShoalError'
  }

  static is(err: unknown, code?: ErrorCode): err is ShoalError {
    return err instanceof ShoalError && (code === undefined || err.code === code)
  }

  /** Exit status for the CLI; unknown errors are 1. */
  static exitStatus(err: unknown): number {
    return err instanceof ShoalError ? ERROR_CODES[err.code] : 1
  }
}

export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.hasOwn(ERROR_CODES, code)
}

/** Any thrown value as a ShoalError: one already is stays as it is, anything else is INTERNAL. */
export function toShoalError(err: unknown): ShoalError {
  if (err instanceof ShoalError) return err
  return new ShoalError('INTERNAL', (err as Error)?.message ?? String(err), { cause: err })
}

export const badFrame = (msg: string) => new ShoalError('BAD_FRAME', msg)
export const nodeNotRunning = (home: string) =>
  new ShoalError('NODE_NOT_RUNNING', `no shoal node is running in ${home} (start one with: shoal up --home ${home} --cluster KEY)`)
