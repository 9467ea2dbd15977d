/**
 * The control API's method table. Ids are stable (never reused); a request returns one result,
 * a stream emits `{ tag, data }`-style events until it ends or the caller cancels.
 */
export const METHODS = {
  status: { id: 1, kind: 'request' },
  events: { id: 2, kind: 'stream' },
  ping: { id: 3, kind: 'request' },
  apps: { id: 4, kind: 'request' },
  'app.add': { id: 5, kind: 'request' },
  'app.rm': { id: 6, kind: 'request' },
  'app.scale': { id: 7, kind: 'request' },
  logs: { id: 8, kind: 'stream' },
  snapshots: { id: 9, kind: 'request' },
  'snapshot.checkout': { id: 10, kind: 'request' },
  'app.move': { id: 11, kind: 'stream' },
  'app.promote': { id: 12, kind: 'stream' },
  'app.pin': { id: 13, kind: 'stream' },
  'app.unpin': { id: 14, kind: 'request' },
  'stash.list': { id: 15, kind: 'request' },
  'stash.checkout': { id: 16, kind: 'request' },
  'stash.drop': { id: 17, kind: 'request' },
  'app.drill': { id: 18, kind: 'stream' }
} as const

export type MethodName = keyof typeof METHODS
export type MethodKind = 'request' | 'stream'

export function isMethodName(name: unknown): name is MethodName {
  return typeof name === 'string' && Object.hasOwn(METHODS, name)
}

/** Implementations the node registers; `params` is untrusted JSON and must be validated. */
export type RequestHandler = (params: Record<string, unknown>) => Promise<unknown>
export type StreamHandler = (params: Record<string, unknown>, emit: (event: unknown) => void, signal: AbortSignal) => Promise<void>

export type Handlers = {
  [K in MethodName]: (typeof METHODS)[K]['kind'] extends 'request' ? RequestHandler : StreamHandler
}

/** Lines on the socket (newline-delimited JSON). */
export type ClientFrame =
  | { id: number; method: string; params?: Record<string, unknown>; stream?: boolean }
  | { id: number; cancel: true }

export type ServerFrame =
  | { id: number; result: unknown }
  | { id: number; error: { code: string; message: string } }
  | { id: number; event: unknown }
  | { id: number; end: true }

export const MAX_LINE_BYTES = 4 * 1024 * 1024
