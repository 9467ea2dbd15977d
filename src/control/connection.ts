import net from 'node:net'
import { ShoalError, isErrorCode, nodeNotRunning } from '../core/errors.js'
import { dispatchRequest, dispatchStream } from './dispatch.js'
import { EventQueue } from './event-queue.js'
import { MAX_LINE_BYTES, type Handlers, type ServerFrame } from './methods.js'
import { LineReader } from './line-reader.js'

/** How a control client reaches a node: over its Unix socket, or in the same process. */
export interface ControlConnection {
  call(method: string, params?: Record<string, unknown>): Promise<unknown>
  /** Events until the node ends the stream; breaking out of the loop cancels it. */
  stream(method: string, params?: Record<string, unknown>): AsyncIterableIterator<unknown>
  close(): void
}

function toError(body: { code: string; message: string }): ShoalError {
  return new ShoalError(isErrorCode(body.code) ? body.code : 'INTERNAL', body.message)
}

export class SocketConnection implements ControlConnection {
  private nextId = 1
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>()
  private readonly streams = new Map<number, EventQueue<unknown>>()
  private closed = false

  private constructor(private readonly sock: net.Socket) {
    const reader = new LineReader(MAX_LINE_BYTES)
    sock.on('data', (chunk) => {
      try {
        for (const line of reader.push(chunk)) this.onFrame(JSON.parse(line) as ServerFrame)
      } catch (err) {
        this.failAll(err)
        sock.destroy()
      }
    })
    sock.on('error', (err) => this.failAll(err))
    sock.on('close', () => this.failAll(new ShoalError('CONTROL_CLOSED', 'the node closed the control connection')))
  }

  /** Connects to the node whose home is `home`; NODE_NOT_RUNNING when nothing answers there. */
  static connect(socketPath: string, home: string): Promise<SocketConnection> {
    return new Promise((resolve, reject) => {
      const sock = net.connect(socketPath)
      sock.once('connect', () => {
        sock.removeAllListeners('error')
        resolve(new SocketConnection(sock))
      })
      sock.once('error', (err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT' || err.code === 'ECONNREFUSED' || err.code === 'ENOTSOCK') reject(nodeNotRunning(home))
        else reject(new ShoalError('NODE_NOT_RUNNING', `cannot reach the node in ${home}: ${err.message}`))
      })
    })
  }

  call(method: string, params: Record<string, unknown> = {}): Promise<unknown> {
    const id = this.nextId++
    return new Promise((resolve, reject) => {
      if (this.closed) return reject(new ShoalError('CONTROL_CLOSED', 'control connection is closed'))
      this.pending.set(id, { resolve, reject })
      this.sock.write(JSON.stringify({ id, method, params }) + '\n')
    })
  }

  stream(method: string, params: Record<string, unknown> = {}): AsyncIterableIterator<unknown> {
    const id = this.nextId++
    const q = new EventQueue<unknown>(() => {
      this.streams.delete(id)
      if (!this.closed) this.sock.write(JSON.stringify({ id, cancel: true }) + '\n')
    })
    if (this.closed) q.fail(new ShoalError('CONTROL_CLOSED', 'control connection is closed'))
    else {
      this.streams.set(id, q)
      this.sock.write(JSON.stringify({ id, method, params, stream: true }) + '\n')
    }
    return q
  }

  close(): void {
    this.closed = true
    this.sock.end()
    this.sock.destroy()
  }

  private onFrame(f: ServerFrame): void {
    const p = this.pending.get(f.id)
    if (p !== undefined) {
      this.pending.delete(f.id)
      if ('error' in f) p.reject(toError(f.error))
      else if ('result' in f) p.resolve(f.result)
      return
    }
    const q = this.streams.get(f.id)
    if (q === undefined) {
      if (f.id === 0 && 'error' in f) this.failAll(toError(f.error))
      return
    }
    if ('event' in f) q.push(f.event)
    else if ('end' in f) {
      this.streams.delete(f.id)
      q.end()
    } else if ('error' in f) {
      this.streams.delete(f.id)
      q.fail(toError(f.error))
    }
  }

  private failAll(err: unknown): void {
    this.closed = true
    for (const p of this.pending.values()) p.reject(err)
    this.pending.clear()
    for (const q of this.streams.values()) q.fail(err)
    this.streams.clear()
  }
}

/** The same API without a socket, for the console and tests inside the node's process. */
export class InProcessConnection implements ControlConnection {
  private readonly controllers = new Set<AbortController>()

  constructor(private readonly handlers: Handlers) {}

  async call(method: string, params: Record<string, unknown> = {}): Promise<unknown> {
    // A JSON round trip gives callers the same plain data a socket client would get.
    const result = await dispatchRequest(this.handlers, method, structuredClone(params))
    return result === undefined ? null : JSON.parse(JSON.stringify(result))
  }

  stream(method: string, params: Record<string, unknown> = {}): AsyncIterableIterator<unknown> {
    const ac = new AbortController()
    this.controllers.add(ac)
    const q = new EventQueue<unknown>(() => ac.abort())
    let run: Promise<void>
    try {
      run = dispatchStream(this.handlers, method, structuredClone(params), (e) => q.push(JSON.parse(JSON.stringify(e))), ac.signal)
    } catch (err) {
      q.fail(err)
      return q
    }
    run.then(() => q.end(), (err) => q.fail(err)).finally(() => this.controllers.delete(ac))
    return q
  }

  close(): void {
    for (const ac of this.controllers) ac.abort()
  }
}
