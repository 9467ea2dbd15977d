import c, { type Encoding } from 'compact-encoding'
import { badFrame } from '../core/errors.js'
import { boundedString, decodeExact, encodeExact } from './codec-util.js'

/**
 * Node-to-node calls on the rpc channel: a request names a method and carries JSON params; the
 * callee answers with events (streams), then one `end` or `error`. The caller may `cancel`.
 */
export type RpcFrame =
  | { kind: 'request'; id: number; method: string; body: string }
  | { kind: 'event'; id: number; body: string }
  | { kind: 'end'; id: number; body: string }
  | { kind: 'error'; id: number; code: string; message: string }
  | { kind: 'cancel'; id: number }

const KINDS = ['request', 'event', 'end', 'error', 'cancel'] as const
const MAX_BODY = 1024 * 1024
const method = boundedString(64)
const body = boundedString(MAX_BODY)

export const rpcFrame: Encoding<RpcFrame> = {
  preencode(state, f) {
    c.uint.preencode(state, 0)
    c.uint8.preencode(state, 0)
    c.uint.preencode(state, f.id)
    if (f.kind === 'request') {
      method.preencode(state, f.method)
      body.preencode(state, f.body)
    } else if (f.kind === 'event' || f.kind === 'end') body.preencode(state, f.body)
    else if (f.kind === 'error') {
      method.preencode(state, f.code)
      body.preencode(state, f.message)
    }
  },
  encode(state, f) {
    c.uint.encode(state, 0)
    c.uint8.encode(state, KINDS.indexOf(f.kind))
    c.uint.encode(state, f.id)
    if (f.kind === 'request') {
      method.encode(state, f.method)
      body.encode(state, f.body)
    } else if (f.kind === 'event' || f.kind === 'end') body.encode(state, f.body)
    else if (f.kind === 'error') {
      method.encode(state, f.code)
      body.encode(state, f.message)
    }
  },
  decode(state) {
    c.uint.decode(state)
    const kind = KINDS[c.uint8.decode(state)]
    const id = c.uint.decode(state)
    switch (kind) {
      case 'request':
        return { kind, id, method: method.decode(state), body: body.decode(state) }
      case 'event':
      case 'end':
        return { kind, id, body: body.decode(state) }
      case 'error':
        return { kind, id, code: method.decode(state), message: body.decode(state) }
      case 'cancel':
        return { kind, id }
      default:
        throw badFrame('unknown rpc frame kind')
    }
  }
}

export const encodeRpc = (f: RpcFrame): Buffer => encodeExact(rpcFrame, f)
export const decodeRpc = (b: Uint8Array): RpcFrame => decodeExact(rpcFrame, b)
