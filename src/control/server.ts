import net from 'node:net'
import { chmod } from 'node:fs/promises'
import { dispatchRequest, dispatchStream, errorBody } from './dispatch.js'
import { MAX_LINE_BYTES, type ClientFrame, type Handlers, type ServerFrame } from './methods.js'
import { LineReader } from './line-reader.js'

/**
 * The control API on a Unix socket (mode 0600: only the node's user may talk to it). One JSON
 * object per line each way. A client that sends garbage gets an error line and is closed; the
 * node is never affected.
 */
export class ControlServer {
  private server: net.Server | null = null
  private readonly sockets = new Set<net.Socket>()

  constructor(
    private readonly path: string,
    private readonly handlers: Handlers
  ) {}

  async listen(): Promise<void> {
    const server = net.createServer((sock) => this.onSocket(sock))
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(this.path, () => {
        server.off('error', reject)
        resolve()
      })
    })
    await chmod(this.path, 0o600)
    this.server = server
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy()
    const server = this.server
    this.server = null
    if (server !== null) await new Promise<void>((resolve) => server.close(() => resolve()))
  }

  private onSocket(sock: net.Socket): void {
    this.sockets.add(sock)
    const streams = new Map<number, AbortController>()
    const send = (frame: ServerFrame) => {
      if (!sock.destroyed) sock.write(JSON.stringify(frame) + '\n')
    }
    const reader = new LineReader(MAX_LINE_BYTES)
    sock.on('data', (chunk) => {
      let lines: string[]
      try {
        lines = reader.push(chunk)
      } catch (err) {
        send({ id: 0, error: errorBody(err) })
        sock.end()
        return
      }
      for (const line of lines) this.onLine(line, send, streams, sock)
    })
    sock.on('error', () => {})
    sock.on('close', () => {
      this.sockets.delete(sock)
      for (const ac of streams.values()) ac.abort()
    })
  }

  private onLine(line: string, send: (f: ServerFrame) => void, streams: Map<number, AbortController>, sock: net.Socket): void {
    let frame: ClientFrame
    try {
      frame = JSON.parse(line) as ClientFrame
      if (typeof frame !== 'object' || frame === null || !Number.isSafeInteger(frame.id)) throw new Error('no id')
    } catch {
      send({ id: 0, error: { code: 'BAD_ARGUMENT', message: 'control frames are JSON objects with a numeric id' } })
      sock.end()
      return
    }
    const id = frame.id
    if ('cancel' in frame) {
      streams.get(id)?.abort()
      return
    }
    if (frame.stream === true) {
      const ac = new AbortController()
      streams.set(id, ac)
      dispatchStream(this.handlers, frame.method, frame.params, (event) => send({ id, event }), ac.signal)
        .then(() => send({ id, end: true }))
        .catch((err) => send({ id, error: errorBody(err) }))
        .finally(() => streams.delete(id))
      return
    }
    dispatchRequest(this.handlers, frame.method, frame.params)
      .then((result) => send({ id, result: result ?? null }))
      .catch((err) => send({ id, error: errorBody(err) }))
  }
}
