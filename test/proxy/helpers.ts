import http from 'node:http'
import net, { type AddressInfo } from 'node:net'
import { WebSocketServer } from 'ws'
import { onTestFinished } from 'vitest'
import { HttpFront, type HttpFrontOptions } from '../../src/proxy/http-front.js'
import type { RouteResolver, Target } from '../../src/proxy/route.js'

export interface Backend {
  port: number
  name: string
  /** Requests seen, with their headers. */
  seen: Array<{ method: string; url: string; headers: http.IncomingHttpHeaders; body: string }>
  /** Distinct TCP connections accepted. */
  connections: number
  server: http.Server
}

/**
 * A small app on 127.0.0.1: /echo echoes the body, /stream echoes it chunk by chunk as it
 * arrives, /slow answers after ?ms=, anything else names the backend. WebSocket on any path
 * echoes messages.
 */
export async function startBackend(name: string): Promise<Backend> {
  const b: Backend = { port: 0, name, seen: [], connections: 0, server: null as unknown as http.Server }
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x')
    if (url.pathname === '/stream') {
      res.writeHead(200, { 'content-type': 'text/plain' })
      req.on('data', (c: Buffer) => res.write(c))
      req.on('end', () => res.end())
      return
    }
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString()
      b.seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body })
      const answer = () => {
        if (url.pathname === '/echo') {
          res.writeHead(200, { 'content-type': 'text/plain', 'set-cookie': ['a=1', 'b=2'] })
          res.end(body)
        } else {
          res.end(`${name}\n`)
        }
      }
      const ms = Number(url.searchParams.get('ms') ?? 0)
      if (ms > 0) setTimeout(answer, ms)
      else answer()
    })
  })
  server.keepAliveTimeout = 10_000
  server.on('connection', () => b.connections++)
  const wss = new WebSocketServer({ server })
  wss.on('connection', (ws, req) => {
    ws.on('message', (data, isBinary) => ws.send(isBinary ? data : `${name}:${req.headers['x-forwarded-host']}:${data.toString()}`))
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  b.port = (server.address() as AddressInfo).port
  b.server = server
  onTestFinished(async () => {
    wss.close()
    server.closeAllConnections()
    await new Promise((r) => server.close(r))
  })
  return b
}

/** A resolver over a mutable table: hosts → apps, apps → targets. */
export class TableResolver implements RouteResolver {
  hosts = new Map<string, string>()
  targets = new Map<string, Target | null>()
  resolve(host: string): { app: string } | null {
    const app = this.hosts.get(host)
    return app ? { app } : null
  }
  async target(app: string): Promise<Target | null> {
    return this.targets.get(app) ?? null
  }
  currentTarget(app: string): Target | null {
    return this.targets.get(app) ?? null
  }
  set(host: string, app: string, target: Target | null): this {
    this.hosts.set(host, app)
    this.targets.set(app, target)
    return this
  }
}

export async function startFront(opts: HttpFrontOptions): Promise<HttpFront> {
  const front = new HttpFront(opts)
  await front.ready()
  onTestFinished(() => front.close())
  return front
}

export interface Reply {
  status: number
  headers: http.IncomingHttpHeaders
  body: string
}

/** One request; resolves with the whole reply. */
export function request(
  port: number,
  opts: { host: string; path?: string; method?: string; body?: string; headers?: Record<string, string>; agent?: http.Agent }
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path: opts.path ?? '/',
        method: opts.method ?? 'GET',
        headers: { host: opts.host, ...opts.headers },
        agent: opts.agent ?? false
      },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }))
        res.on('error', reject)
      }
    )
    req.on('error', reject)
    req.end(opts.body)
  })
}

/** Writes raw bytes on a fresh connection; resolves with everything read until the server closes. */
export function rawExchange(port: number, bytes: string, endAfterMs = 2000): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1')
    let out = ''
    s.on('data', (d) => (out += d.toString()))
    s.on('error', () => {})
    s.on('close', () => resolve(out))
    s.write(bytes)
    setTimeout(() => s.destroy(), endAfterMs).unref()
  })
}

/** Polls a condition until it holds (or the test times out). */
export async function until(cond: () => boolean | Promise<boolean>, stepMs = 10): Promise<void> {
  while (!(await cond())) await new Promise((r) => setTimeout(r, stepMs))
}

export interface RawClient {
  socket: net.Socket
  /** Everything received so far, as latin1 text. */
  text(): string
  closed(): boolean
  write(bytes: string): void
  /** Waits until the received text satisfies `cond` (or the test times out). */
  waitFor(cond: (text: string) => boolean): Promise<string>
}

/** A raw client connection to `port`; closed when the test ends. */
export async function openRaw(port: number): Promise<RawClient> {
  const socket = net.connect(port, '127.0.0.1')
  await new Promise<void>((r) => socket.once('connect', r))
  let text = ''
  let closed = false
  socket.on('data', (d: Buffer) => (text += d.toString('latin1')))
  socket.on('error', () => {})
  socket.on('close', () => (closed = true))
  onTestFinished(() => void socket.destroy())
  return {
    socket,
    text: () => text,
    closed: () => closed,
    write: (bytes) => void socket.write(bytes),
    waitFor: async (cond) => {
      await until(() => cond(text) || closed)
      return text
    }
  }
}

/** Counts complete "HTTP/1.1 NNN" status lines in a raw exchange. */
export function statuses(text: string): number[] {
  return [...text.matchAll(/HTTP\/1\.[01] (\d{3}) /g)].map((m) => Number(m[1]))
}

/**
 * Feeds `pieces` in turn to an incremental framing scanner; returns where the message ended
 * within the whole, or the scanner's MORE / INVALID answer.
 */
export function feedPieces(framing: { feed(b: Uint8Array, s: number, e: number): number }, pieces: Buffer[], more: number, invalid: number): number {
  let base = 0
  for (const p of pieces) {
    const r = framing.feed(p, 0, p.length)
    if (r === invalid) return invalid
    if (r !== more) return base + r
    base += p.length
  }
  return more
}
