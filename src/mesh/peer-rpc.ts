import c from 'compact-encoding'
import type Protomux from 'protomux'
import type { Channel, Message } from 'protomux'
import { ShoalError, isErrorCode } from '../core/errors.js'
import { EventQueue } from '../control/event-queue.js'
import { decodeRpc, encodeRpc, type RpcFrame } from '../protocol/rpc-messages.js'
import { CHANNELS } from '../protocol/version.js'

/** A call on this node from a peer: emit events, resolve with the final value (or throw). */
export type RpcHandler = (params: Record<string, unknown>, emit: (event: unknown) => void, signal: AbortSignal) => Promise<unknown>

/**
 * Calls between nodes over one peer's mux (channel `shoal/rpc/v1`): the control API's shape
 * (request, streamed events, end or error with a code) across the mesh. Used to forward an
 * operation to the node that must run it (a move to the app's master, a takeover to its target).
 * A malformed frame closes this channel only.
 */
export class PeerRpc {
  private readonly channel: Channel
  private readonly frame: Message<Uint8Array>
  private nextId = 1
  private readonly calls = new Map<number, EventQueue<{ event?: unknown; end?: unknown }>>()
  private readonly serving = new Map<number, AbortController>()
  private closed = false

  constructor(
    mux: Protomux,
    private readonly handlers: Record<string, RpcHandler>
  ) {
    const channel = mux.createChannel({ protocol: CHANNELS.rpc, onclose: () => this.onClose() })
    if (channel === null) throw new ShoalError('INTERNAL', 'an rpc channel is already open on this connection')
    this.channel = channel
    this.frame = channel.addMessage({ encoding: c.raw, onmessage: (buf: Uint8Array) => this.onFrame(buf) })
    channel.open()
  }

  /**
   * Calls `method` on the peer. Yields its events as `{ event }` and finally `{ end: value }`;
   * a failure on the peer is thrown here with the peer's error code.
   */
  call(method: string, params: Record<string, unknown>): AsyncIterableIterator<{ event?: unknown; end?: unknown }> {
    const id = this.nextId++
    const q = new EventQueue<{ event?: unknown; end?: unknown }>(() => {
      this.calls.delete(id)
      this.send({ kind: 'cancel', id })
    })
    if (this.closed) {
      q.fail(new ShoalError('NODE_CLOSED', 'the connection to that node is closed'))
      return q
    }
    this.calls.set(id, q)
    this.send({ kind: 'request', id, method, body: JSON.stringify(params) })
    return q
  }

  /** Calls and returns only the final value. */
  async request(method: string, params: Record<string, unknown>, onEvent?: (e: unknown) => void): Promise<unknown> {
    for await (const r of this.call(method, params)) {
      if ('end' in r) return r.end
      onEvent?.(r.event)
    }
    throw new ShoalError('NODE_CLOSED', `the call ${method} ended without an answer`)
  }

  close(): void {
    this.channel.close()
    this.onClose()
  }

  private send(f: RpcFrame): void {
    if (!this.closed) this.frame.send(encodeRpc(f))
  }

  private onFrame(buf: Uint8Array): void {
    let f: RpcFrame
    try {
      f = decodeRpc(buf)
    } catch {
      this.close()
      return
    }
    switch (f.kind) {
      case 'request':
        return this.serve(f.id, f.method, f.body)
      case 'cancel':
        this.serving.get(f.id)?.abort()
        return
      case 'event':
        this.calls.get(f.id)?.push({ event: parse(f.body) })
        return
      case 'end': {
        const q = this.calls.get(f.id)
        this.calls.delete(f.id)
        q?.push({ end: parse(f.body) })
        q?.end()
        return
      }
      case 'error': {
        const q = this.calls.get(f.id)
        this.calls.delete(f.id)
        q?.fail(new ShoalError(isErrorCode(f.code) ? f.code : 'INTERNAL', f.message))
        return
      }
    }
  }

  private serve(id: number, method: string, body: string): void {
    const handler = Object.hasOwn(this.handlers, method) ? this.handlers[method] : undefined
    if (handler === undefined) return this.send({ kind: 'error', id, code: 'UNKNOWN_METHOD', message: `peer has no method ${method}` })
    const ac = new AbortController()
    this.serving.set(id, ac)
    let params: Record<string, unknown>
    try {
      const p = JSON.parse(body) as unknown
      if (typeof p !== 'object' || p === null || Array.isArray(p)) throw new Error('params must be an object')
      params = p as Record<string, unknown>
    } catch (err) {
      this.serving.delete(id)
      return this.send({ kind: 'error', id, code: 'BAD_ARGUMENT', message: (err as Error).message })
    }
    Promise.resolve()
      .then(() => handler(params, (e) => this.send({ kind: 'event', id, body: JSON.stringify(e) }), ac.signal))
      .then(
        (result) => this.send({ kind: 'end', id, body: JSON.stringify(result ?? null) }),
        (err: unknown) => {
          const e = err instanceof ShoalError ? err : new ShoalError('INTERNAL', err instanceof Error ? err.message : String(err))
          this.send({ kind: 'error', id, code: e.code, message: e.message })
        }
      )
      .finally(() => this.serving.delete(id))
  }

  private onClose(): void {
    if (this.closed) return
    this.closed = true
    for (const ac of this.serving.values()) ac.abort()
    for (const q of this.calls.values()) q.fail(new ShoalError('NODE_CLOSED', 'the connection to that node closed'))
    this.calls.clear()
  }
}

function parse(body: string): unknown {
  try {
    return JSON.parse(body) as unknown
  } catch {
    return null
  }
}
