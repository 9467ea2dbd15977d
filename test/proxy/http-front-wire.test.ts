import http from 'node:http'
import net from 'node:net'
import { Duplex } from 'node:stream'
import { describe, expect, it, onTestFinished } from 'vitest'
import { ShoalError } from '../../src/core/errors.js'
import { HOPS_HEADER } from '../../src/proxy/forward-headers.js'
import type { RouteResolver, Target } from '../../src/proxy/route.js'
import { failedStream } from '../../src/proxy/target-connect.js'
import { AppTraffic } from '../../src/proxy/traffic.js'
import { TableResolver, openRaw, request, startBackend, startFront, statuses, until } from './helpers.js'

/** A TCP server whose every connection is handed to `onConnection`; closed after the test. */
async function rawBackend(onConnection: (s: net.Socket, index: number) => void): Promise<{ port: number; connections: () => number }> {
  let n = 0
  const server = net.createServer((s) => {
    s.on('error', () => {})
    onConnection(s, n++)
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  onTestFinished(() => new Promise<void>((r) => server.close(() => r())))
  const sockets = new Set<net.Socket>()
  server.on('connection', (s) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
  })
  onTestFinished(() => {
    for (const s of sockets) s.destroy()
  })
  return { port: (server.address() as net.AddressInfo).port, connections: () => n }
}

describe('HttpFront on the wire', () => {
  it('answers pipelined requests in order, whatever their framing, over one app connection', async () => {
    const app = await startBackend('p')
    const front = await startFront({ resolver: new TableResolver().set('p.test', 'p', { kind: 'local', port: app.port }) })
    const c = await openRaw(front.port)
    c.write(
      'GET /first HTTP/1.1\r\nHost: p.test\r\n\r\n' +
        'POST /echo HTTP/1.1\r\nHost: p.test\r\nContent-Length: 5\r\n\r\nhello' +
        'POST /echo HTTP/1.1\r\nHost: p.test\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n' +
        'HEAD /x HTTP/1.1\r\nHost: p.test\r\n\r\n' +
        'GET /last HTTP/1.1\r\nHost: p.test\r\n\r\n'
    )
    await c.waitFor((t) => statuses(t).length === 5 && t.endsWith('p\n'))
    expect(statuses(c.text())).toEqual([200, 200, 200, 200, 200])
    expect(app.seen.map((s) => `${s.method} ${s.url} ${s.body}`)).toEqual(['GET /first ', 'POST /echo hello', 'POST /echo abcde', 'HEAD /x ', 'GET /last '])
    expect(app.connections).toBe(1)
    expect(c.closed()).toBe(false)
    // The app keeps idle connections 10 s; clients are told the front's own 5 s.
    expect(c.text()).not.toContain('timeout=10')
    expect(c.text().match(/Keep-Alive: timeout=5\r\n/g)).toHaveLength(5)
  })

  it('answers every whole request of a client that half-closed, then closes; Connection: close is honoured', async () => {
    const app = await startBackend('h')
    const front = await startFront({ resolver: new TableResolver().set('h.test', 'h', { kind: 'local', port: app.port }) })
    const sock = net.connect({ port: front.port, host: '127.0.0.1', allowHalfOpen: true })
    let text = ''
    sock.on('data', (d: Buffer) => (text += d.toString('latin1')))
    const closed = new Promise<void>((r) => sock.on('close', () => r()))
    sock.end('GET /1 HTTP/1.1\r\nHost: h.test\r\n\r\nGET /2 HTTP/1.1\r\nHost: h.test\r\n\r\n')
    await closed
    expect(statuses(text)).toEqual([200, 200])
    expect(app.seen.map((s) => s.url)).toEqual(['/1', '/2'])
    const c = await openRaw(front.port)
    c.write('GET /3 HTTP/1.1\r\nHost: h.test\r\nConnection: close\r\n\r\nGET /4 HTTP/1.1\r\nHost: h.test\r\n\r\n')
    await c.waitFor(() => c.closed())
    expect(statuses(c.text())).toEqual([200])
    expect(app.seen.map((s) => s.url)).toEqual(['/1', '/2', '/3'])
  })

  it('carries large bodies both ways intact, with flow control on each side', async () => {
    const app = await startBackend('big')
    const front = await startFront({ resolver: new TableResolver().set('big.test', 'big', { kind: 'local', port: app.port }) })
    const body = Buffer.alloc(6 * 1024 * 1024)
    // ASCII: the test app echoes the body as a string.
    for (let i = 0; i < body.length; i++) body[i] = 0x20 + ((i * 7 + (i >> 13)) % 95)
    const echoed = await new Promise<Buffer>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: front.port, method: 'POST', path: '/echo', headers: { host: 'big.test' } }, (res) => {
        const chunks: Buffer[] = []
        // A slow reader at first: the front must hold the app back, not buffer everything.
        res.pause()
        setTimeout(() => res.resume(), 200)
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => resolve(Buffer.concat(chunks)))
        res.on('error', reject)
      })
      req.on('error', reject)
      req.end(body)
    })
    expect(app.seen.map((s) => s.body.length)).toEqual([body.length])
    expect(echoed.length).toBe(body.length)
    expect(echoed.equals(body)).toBe(true)
  })

  it('keeps every byte of responses streamed in small pieces to clients that stop reading for a while', async () => {
    // The app writes each response as many small pieces, so the front's reads from it are small
    // while the clients' sockets are full: bytes already queued for a client must never change.
    const pattern = (i: number) => (i * 31 + (i >> 12)) & 0xff
    const total = 12 * 1024 * 1024
    const app = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': total })
      let at = 0
      const more = () => {
        while (at < total) {
          const n = Math.min(3000 + (at % 5000), total - at)
          const piece = Buffer.alloc(n)
          for (let k = 0; k < n; k++) piece[k] = pattern(at + k)
          at += n
          if (!res.write(piece)) return void res.once('drain', more)
        }
        res.end()
      }
      more()
    })
    await new Promise<void>((r) => app.listen(0, '127.0.0.1', r))
    onTestFinished(() => new Promise<void>((r) => {
      app.closeAllConnections()
      app.close(() => r())
    }))
    const port = (app.address() as net.AddressInfo).port
    const front = await startFront({ resolver: new TableResolver().set('q.test', 'q', { kind: 'local', port }) })
    const fetchSlowly = (pauseMs: number) =>
      new Promise<Buffer>((resolve, reject) => {
        http.get({ host: '127.0.0.1', port: front.port, path: '/', headers: { host: 'q.test' } }, (res) => {
          const chunks: Buffer[] = []
          res.pause()
          setTimeout(() => res.resume(), pauseMs)
          res.on('data', (c: Buffer) => chunks.push(c))
          res.on('end', () => resolve(Buffer.concat(chunks)))
          res.on('error', reject)
        }).on('error', reject)
      })
    const bodies = await Promise.all([fetchSlowly(400), fetchSlowly(700), fetchSlowly(0)])
    for (const body of bodies) {
      expect(body.length).toBe(total)
      let bad = -1
      for (let i = 0; i < total && bad < 0; i++) if (body[i] !== pattern(i)) bad = i
      expect(bad).toBe(-1)
    }
  })

  it('never lets a later read from the app overwrite response bytes still queued for a stalled client', async () => {
    // Each piece of the body arrives in its own read from the app, while the client takes no
    // bytes: every piece waits in the client's write queue (below its high-water mark, so the
    // app is not held back) while the next read comes in.
    const pieces = Array.from({ length: 12 }, (_, k) => Buffer.alloc(700, 0x41 + k))
    const body = Buffer.concat(pieces)
    const app = await rawBackend((s) => {
      s.once('data', async () => {
        s.write(`HTTP/1.1 200 OK\r\ncontent-length: ${body.length}\r\n\r\n`)
        for (const piece of pieces) {
          await new Promise((r) => setTimeout(r, 15))
          s.write(piece)
        }
      })
    })
    const front = await startFront({ resolver: new TableResolver().set('s.test', 's', { kind: 'local', port: app.port }) })
    const held: Array<() => void> = []
    const received: Buffer[] = []
    const client = new Duplex({
      read() {},
      write(chunk: Buffer, _encoding, done) {
        received.push(chunk)
        held.push(done)
      }
    })
    front.accept(client)
    client.push('GET / HTTP/1.1\r\nHost: s.test\r\n\r\n')
    // The first write is taken and never finished until the whole body has been read.
    await until(() => received.length === 1)
    await new Promise((r) => setTimeout(r, 12 * 15 + 150))
    for (;;) {
      const done = held.shift()
      if (done === undefined) {
        await new Promise((r) => setTimeout(r, 10))
        if (held.length === 0) break
        continue
      }
      done()
    }
    const text = Buffer.concat(received).toString('latin1')
    expect(text.startsWith('HTTP/1.1 200 OK\r\n')).toBe(true)
    // Each piece as the client got it: "A" for 700 A's; anything else when bytes were overwritten.
    const got = text.slice(text.indexOf('\r\n\r\n') + 4)
    const described = (s: string) => Array.from({ length: Math.ceil(s.length / 700) }, (_, k) => s.slice(k * 700, k * 700 + 700)).map((p) => (p === p[0].repeat(700) ? p[0] : `mixed(${p.length})`))
    expect(described(got)).toEqual(described(body.toString('latin1')))
  })

  it('reads a request body split at every byte boundary', async () => {
    const app = await startBackend('s')
    const front = await startFront({ resolver: new TableResolver().set('s.test', 's', { kind: 'local', port: app.port }) })
    const req = 'POST /echo HTTP/1.1\r\nHost: s.test\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nwxyz\r\n1;ext=1\r\n!\r\n0\r\nX-Trailer: t\r\n\r\nGET /after HTTP/1.1\r\nHost: s.test\r\n\r\n'
    const c = await openRaw(front.port)
    c.socket.setNoDelay(true)
    for (const ch of req) {
      c.write(ch)
      await new Promise((r) => setImmediate(r))
    }
    await c.waitFor((t) => statuses(t).length === 2 && t.endsWith('s\n'))
    expect(app.seen.map((s) => s.body)).toEqual(['wxyz!', ''])
    expect(app.seen[1].url).toBe('/after')
  })

  it('switches the pinned app connection when the Host changes mid-connection', async () => {
    const a = await startBackend('a')
    const b = await startBackend('b')
    const resolver = new TableResolver().set('a.test', 'a', { kind: 'local', port: a.port }).set('b.test', 'b', { kind: 'local', port: b.port })
    const front = await startFront({ resolver })
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
    onTestFinished(() => agent.destroy())
    const bodies: string[] = []
    for (const host of ['a.test', 'a.test', 'b.test', 'a.test', 'b.test', 'b.test']) bodies.push((await request(front.port, { host, agent })).body)
    expect(bodies).toEqual(['a\n', 'a\n', 'b\n', 'a\n', 'b\n', 'b\n'])
    expect(a.seen.every((s) => s.headers['x-forwarded-host'] === 'a.test')).toBe(true)
    // Same target twice in a row: the app connection is reused.
    expect(a.connections).toBe(2)
    expect(b.connections).toBe(2)
    // A move: the route now points elsewhere, the next request follows it on the same client connection.
    resolver.targets.set('a', { kind: 'local', port: b.port })
    expect((await request(front.port, { host: 'a.test', agent })).body).toBe('b\n')
  })

  it('relays HEAD, 204, 304, 1xx and close-delimited responses with the right framing', async () => {
    const backend = await rawBackend((s) => {
      let buf = ''
      s.on('data', (d: Buffer) => {
        buf += d.toString('latin1')
        let end: number
        while ((end = buf.indexOf('\r\n\r\n')) >= 0) {
          const head = buf.slice(0, end)
          buf = buf.slice(end + 4)
          const path = head.split(' ')[1]
          if (path === '/head') s.write('HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n')
          else if (path === '/204') s.write('HTTP/1.1 204 No Content\r\n\r\n')
          else if (path === '/304') s.write('HTTP/1.1 304 Not Modified\r\nETag: "x"\r\n\r\n')
          else if (path === '/hints') s.write('HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok')
          else if (path === '/close') s.end('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the close')
          else s.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\ndone\r\n0\r\n\r\n')
        }
      })
    })
    const front = await startFront({ resolver: new TableResolver().set('f.test', 'f', { kind: 'local', port: backend.port }) })
    const c = await openRaw(front.port)
    c.write('HEAD /head HTTP/1.1\r\nHost: f.test\r\n\r\n')
    c.write('GET /204 HTTP/1.1\r\nHost: f.test\r\n\r\n')
    c.write('GET /304 HTTP/1.1\r\nHost: f.test\r\n\r\n')
    c.write('GET /hints HTTP/1.1\r\nHost: f.test\r\n\r\n')
    c.write('GET /chunked HTTP/1.1\r\nHost: f.test\r\n\r\n')
    await c.waitFor((t) => t.endsWith('0\r\n\r\n'))
    expect(statuses(c.text())).toEqual([200, 204, 304, 103, 200, 200])
    expect(backend.connections()).toBe(1)
    c.write('GET /close HTTP/1.1\r\nHost: f.test\r\n\r\n')
    await c.waitFor(() => c.closed())
    expect(c.text().endsWith('\r\n\r\nuntil the close')).toBe(true)
    expect(c.closed()).toBe(true)
  })

  it('passes Expect: 100-continue through, so the client sends its body after the app asks', async () => {
    const app = await startBackend('e')
    const front = await startFront({ resolver: new TableResolver().set('e.test', 'e', { kind: 'local', port: app.port }) })
    const c = await openRaw(front.port)
    c.write('POST /echo HTTP/1.1\r\nHost: e.test\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n')
    await c.waitFor((t) => t.includes('100 Continue'))
    c.write('data')
    await c.waitFor((t) => t.endsWith('0\r\n\r\n'))
    expect(statuses(c.text())).toEqual([100, 200])
    expect(c.text()).toContain('\r\n4\r\ndata\r\n')
  })

  it('retries a bodyless request once when the app closed a reused connection under it, never one with a body', async () => {
    // Each app connection answers one request, then drops the next without a word.
    const backend = await rawBackend((s) => {
      let answered = 0
      s.on('data', () => {
        if (answered++ === 0) s.write('HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n')
        else s.destroy()
      })
    })
    const front = await startFront({ resolver: new TableResolver().set('r.test', 'r', { kind: 'local', port: backend.port }) })
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
    onTestFinished(() => agent.destroy())
    expect((await request(front.port, { host: 'r.test', agent })).body).toBe('ok\n')
    expect((await request(front.port, { host: 'r.test', agent })).body).toBe('ok\n')
    expect(backend.connections()).toBe(2)
    const post = await request(front.port, { host: 'r.test', agent, method: 'POST', path: '/echo', body: 'once' })
    expect(post.status).toBe(502)
    expect(post.body).toContain('"r" did not answer')
  })

  it('answers 502 NO_MASTER when no tunnel can be opened, and retries a bodyless request on the route picked then', async () => {
    const resolver = new TableResolver()
    const front = await startFront({ resolver })
    const noSession = () => failedStream(new ShoalError('NO_MASTER', 'no mesh session'))
    resolver.set('n.test', 'n', { kind: 'tunnel', key: 'gone', open: noSession })
    const r = await request(front.port, { host: 'n.test', method: 'POST', path: '/echo', body: 'x' })
    expect(r.status).toBe(502)
    expect(r.body).toContain('NO_MASTER')
    resolver.set('n.test', 'n', {
      kind: 'tunnel',
      key: 'gone',
      open: () => {
        throw new Error('no mesh connection yet')
      }
    })
    expect((await request(front.port, { host: 'n.test' })).body).toContain('NO_MASTER')
    const app = await startBackend('n')
    front.once('upstream-error', () => resolver.targets.set('n', { kind: 'local', port: app.port }))
    expect((await request(front.port, { host: 'n.test' })).body).toBe('n\n')
  })

  it('answers 502 when the app sends something that is not HTTP', async () => {
    const backend = await rawBackend((s) => s.once('data', () => s.write('SSH-2.0-OpenSSH_9.6\r\n\r\n')))
    const front = await startFront({ resolver: new TableResolver().set('x.test', 'x', { kind: 'local', port: backend.port }) })
    const r = await request(front.port, { host: 'x.test' })
    expect(r.status).toBe(502)
  })

  it('counts a request in flight until its response ends, and cuts it on terminate', async () => {
    const app = await startBackend('g')
    const traffic = new AppTraffic()
    const front = await startFront({ resolver: new TableResolver().set('g.test', 'g', { kind: 'local', port: app.port }), traffic })
    const gate = traffic.gate('g')
    const slow = request(front.port, { host: 'g.test', path: '/slow?ms=300' })
    await until(() => gate.inFlight === 1)
    expect(front.traffic.metrics('g').connections).toBe(1)
    await slow
    expect(gate.inFlight).toBe(0)
    const stuck = request(front.port, { host: 'g.test', path: '/slow?ms=30000' }).then(
      () => 'answered',
      () => 'cut'
    )
    await until(() => gate.inFlight === 1)
    gate.terminate(new Error('move'))
    expect(await stuck).toBe('cut')
    await until(() => gate.inFlight === 0 && front.traffic.metrics('g').connections === 0)
  })

  it('discards the body of a request it answered itself and serves the next one', async () => {
    const app = await startBackend('k')
    const front = await startFront({ resolver: new TableResolver().set('k.test', 'k', { kind: 'local', port: app.port }) })
    const c = await openRaw(front.port)
    c.write('POST / HTTP/1.1\r\nHost: nobody.test\r\nContent-Length: 28\r\n\r\nGET /smuggled HTTP/1.1\r\n\r\nxx' + 'GET /real HTTP/1.1\r\nHost: k.test\r\n\r\n')
    await c.waitFor((t) => t.endsWith('k\n'))
    expect(statuses(c.text())).toEqual([404, 200])
    expect(app.seen.map((s) => s.url)).toEqual(['/real'])
  })

  it('closes idle client connections after the keep-alive timeout', async () => {
    const app = await startBackend('i')
    const front = await startFront({ resolver: new TableResolver().set('i.test', 'i', { kind: 'local', port: app.port }), keepAliveTimeoutMs: 150, timeoutCheckMs: 30 })
    const c = await openRaw(front.port)
    c.write('GET / HTTP/1.1\r\nHost: i.test\r\n\r\n')
    await c.waitFor((t) => t.endsWith('i\n'))
    const t0 = Date.now()
    await c.waitFor(() => c.closed())
    expect(Date.now() - t0).toBeGreaterThanOrEqual(100)
  })

  it('serves streams handed to accept() and, while isolated, cuts only requests from other fronts', async () => {
    const app = await startBackend('t')
    const front = await startFront({ resolver: new TableResolver().set('t.test', 't', { kind: 'local', port: app.port }) })
    // Stands in for the mesh: another listener whose connections are handed over as streams.
    const relay = net.createServer((s) => front.accept(s))
    await new Promise<void>((r) => relay.listen(0, '127.0.0.1', r))
    onTestFinished(() => new Promise<void>((r) => relay.close(() => r())))
    const port = (relay.address() as net.AddressInfo).port
    expect((await request(port, { host: 't.test' })).body).toBe('t\n')
    front.isolated = true
    await expect(request(port, { host: 't.test', headers: { [HOPS_HEADER]: '1' } })).rejects.toThrow()
    expect((await request(port, { host: 't.test' })).body).toBe('t\n')
    front.isolated = false
    expect((await request(port, { host: 't.test', headers: { [HOPS_HEADER]: '1' } })).body).toBe('t\n')
    expect(app.seen.at(-1)?.headers[HOPS_HEADER]).toBe('2')
  })

  it('uses the asynchronous target() when the resolver has no currentTarget()', async () => {
    const app = await startBackend('async')
    const table = new TableResolver().set('as.test', 'as', { kind: 'local', port: app.port })
    const resolver: RouteResolver = { resolve: (h) => table.resolve(h), target: async (a): Promise<Target | null> => table.target(a) }
    const front = await startFront({ resolver })
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
    onTestFinished(() => agent.destroy())
    for (let i = 0; i < 3; i++) expect((await request(front.port, { host: 'as.test', agent })).body).toBe('async\n')
    expect(app.connections).toBe(1)
  })
})
