import { ShoalError } from '../core/errors.js'
import { METHODS, isMethodName, type Handlers, type RequestHandler, type StreamHandler } from './methods.js'

/**
 * Runs one call against the handler table: shared by the socket server and the in-process
 * client, so both behave the same, errors included.
 */
export async function dispatchRequest(handlers: Handlers, method: unknown, params: unknown): Promise<unknown> {
  const name = checkMethod(method, 'request')
  return (handlers[name] as RequestHandler)(checkParams(params))
}

export async function dispatchStream(
  handlers: Handlers,
  method: unknown,
  params: unknown,
  emit: (event: unknown) => void,
  signal: AbortSignal
): Promise<void> {
  const name = checkMethod(method, 'stream')
  return (handlers[name] as StreamHandler)(checkParams(params), emit, signal)
}

function checkMethod(method: unknown, kind: 'request' | 'stream') {
  if (!isMethodName(method)) throw new ShoalError('UNKNOWN_METHOD', `unknown control method ${JSON.stringify(method)}`)
  if (METHODS[method].kind !== kind) throw new ShoalError('UNKNOWN_METHOD', `${method} is a ${METHODS[method].kind}, not a ${kind}`)
  return method
}

function checkParams(params: unknown): Record<string, unknown> {
  if (params === undefined || params === null) return {}
  if (typeof params !== 'object' || Array.isArray(params)) throw new ShoalError('BAD_ARGUMENT', 'params must be an object')
  return params as Record<string, unknown>
}

export function errorBody(err: unknown): { code: string; message: string } {
  if (err instanceof ShoalError) return { code: err.code, message: err.message }
  return { code: 'INTERNAL', message: err instanceof Error ? err.message : String(err) }
}
