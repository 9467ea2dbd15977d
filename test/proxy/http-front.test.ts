import http from 'node:http'
import net from 'node:net'
import { describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { HOPS_HEADER } from '../../src/proxy/forward-headers.js'
import { AppTraffic } from '../../src/proxy/traffic.js'
import { TableResolver, rawExchange, request, startBackend, startFront, until } from './helpers.js'

describe('HttpFront', () => {
  it('forwards to a local target with keep-alive on both sides and X-Forwarded-* headers', async () => {
    const app = await startBackend('counter')
    const resolver = new TableResolver().set('counter.test', 'counter', { kind: 'local', port: app.port })
    const front = await startFront({ resolver })
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
    let clientSockets = 0
    front['server'].on('connection', () => clientSockets++)
    for (let i = 0; i < 5; i++) {
      const r = await request(front.port, { host: 'counter.test:8080', path: '/echo', method: 'POST', body: `hello ${i}`, agent })
      expect(r.status).toBe(200)
      expect(r.body).toBe(`hello ${i}`)
      expect(r.headers['set-cookie']).toEqual(['a=1', 'b=2'])
    }
    agent.destroy()
    expect(clientSockets).toBe(1)
    expect(app.connections).toBe(1)
    const seen = app.seen[0]
    expect(seen.headers['x-forwarded-for']).toBe('127.0.0.1')
    expect(seen.headers['x-forwarded-host']).toBe('counter.test:8080')
    expect(seen.headers['x-forwarded-proto']).toBe('http')
    expect(seen.headers.host).toBe('counter.test:8080')
    expect(seen.headers[HOPS_HEADER]).toBe('1')
    const load = front.traffic.metrics('counter').load()
    expect(load.rps).toBeGreaterThan(0)
    expect(load.bytesPerSec).toBeGreaterThan(0)
    expect(load.p50Ms).toBeGreaterThan(0)
    expect(load.connections).toBe(0)
  })

  it('streams chunked bodies both ways without buffering', async () => {
    const app = await startBackend('s')
    const front = await startFront({ resolver: new TableResolver().set('s.test', 's', { kind: 'local', port: app.port }) })
    const got: string[] = []
    await new Promise<void>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: front.port, method: 'POST', path: '/stream', headers: { host: 's.test' } })
      req.on('error', reject)
      req.on('response', (res) => {
        expect(res.headers['transfer-encoding']).toBe('chunked')
        res.on('data', (c: Buffer) => {
          got.push(c.toString())
          // Each chunk comes back before the next is sent: nothing is buffered to the end.
          if (got.join('').length < 30) req.write(`part-${got.join('').length}|`)
          else req.end()
        })
        res.on('end', resolve)
      })
      req.flushHeaders()
      req.write('part-0|')
    })
    expect(got.join('')).toMatch(/^part-0\|part-\d+\|/)
    expect(got.length).toBeGreaterThan(3)
    expect(app.seen).toHaveLength(0) // /stream echoes without recording
  })

  it('answers 404 naming the unknown host', async () => {
    const front = await startFront({ resolver: new TableResolver(), nodeName: 'node-a' })
    const r = await request(front.port, { host: 'nope.example:80' })
    expect(r.status).toBe(404)
    expect(r.body).toContain('"nope.example"')
    expect(r.body).toContain('node-a')
  })

  it('waits briefly for a target, then 503 with Retry-After', async () => {
    const resolver = new TableResolver().set('a.test', 'a', null)
    const front = await startFront({ resolver, noTargetWaitMs: 150, retryAfterSec: 3 })
    const t0 = Date.now()
    const r = await request(front.port, { host: 'a.test' })
    expect(r.status).toBe(503)
    expect(r.headers['retry-after']).toBe('3')
    expect(r.body).toContain('"a" has no healthy master')
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140)
    // A target that appears during the wait is used.
    const app = await startBackend('late')
    const late = request(front.port, { host: 'a.test' })
    setTimeout(() => resolver.targets.set('a', { kind: 'local', port: app.port }), 50)
    const ok = await late
    expect(ok.status).toBe(200)
    expect(ok.body).toBe('late\n')
  })

  it('holds requests at a paused gate and releases every one to a new target', async () => {
    const oldApp = await startBackend('old')
    const newApp = await startBackend('new')
    const resolver = new TableResolver().set('m.test', 'm', { kind: 'local', port: oldApp.port })
    const traffic = new AppTraffic()
    const front = await startFront({ resolver, traffic })
    expect((await request(front.port, { host: 'm.test' })).body).toBe('old\n')
    const gate = traffic.gate('m')
    gate.pause()
    expect(await gate.drain(1000)).toBe(true)
    const pending = Array.from({ length: 20 }, (_, i) => request(front.port, { host: 'm.test', path: `/echo`, method: 'POST', body: `w${i}` }))
    await until(() => gate.held === 20)
    expect(newApp.seen).toHaveLength(0)
    // The router still names the old app: the held requests go where the release says.
    gate.release({ kind: 'local', port: newApp.port })
    const replies = await Promise.all(pending)
    expect(replies.map((r) => r.status)).toEqual(Array(20).fill(200))
    expect(replies.map((r) => r.body).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `w${i}`).sort())
    expect(newApp.seen).toHaveLength(20)
    expect(oldApp.seen).toHaveLength(1)
  })

  it('held requests past the hold timeout get 503', async () => {
    const app = await startBackend('x')
    const traffic = new AppTraffic({ gate: { holdTimeoutMs: 80 } })
    const front = await startFront({ resolver: new TableResolver().set('x.test', 'x', { kind: 'local', port: app.port }), traffic })
    traffic.gate('x').pause()
    const r = await request(front.port, { host: 'x.test' })
    expect(r.status).toBe(503)
    expect(r.headers['retry-after']).toMatch(/^\d+$/)
    expect(app.seen).toHaveLength(0)
  })

  it('forwards through a direct remote front, keeping the original host, and stops loops at the hop limit', async () => {
    const app = await startBackend('remote')
    const master = await startFront({ resolver: new TableResolver().set('r.test', 'r', { kind: 'local', port: app.port }) })
    const other = await startFront({
      resolver: new TableResolver().set('r.test', 'r', { kind: 'direct', host: '127.0.0.1', port: master.port })
    })
    const r = await request(other.port, { host: 'r.test', headers: { 'x-forwarded-for': '10.0.0.9' } })
    expect(r.body).toBe('remote\n')
    expect(app.seen[0].headers[HOPS_HEADER]).toBe('2')
    expect(app.seen[0].headers['x-forwarded-host']).toBe('r.test')
    expect(app.seen[0].headers['x-forwarded-for']).toBe('10.0.0.9, 127.0.0.1, 127.0.0.1')

    // A stale route pointing a front at itself.
    const loopResolver = new TableResolver()
    const loop = await startFront({ resolver: loopResolver, maxHops: 4 })
    loopResolver.set('l.test', 'l', { kind: 'direct', host: '127.0.0.1', port: loop.port })
    const refused = await request(loop.port, { host: 'l.test' })
    expect(refused.status).toBe(508)
    expect(refused.body).toContain('routing loop')
    const forged = await request(other.port, { host: 'r.test', headers: { [HOPS_HEADER]: 'lots' } })
    expect(forged.status).toBe(508)
  })

  it('answers 502 when the target does not accept connections', async () => {
    const resolver = new TableResolver()
    const front = await startFront({ resolver })
    // Picked once the front holds its port (see the next test).
    const closed = net.createServer()
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r))
    const port = (closed.address() as net.AddressInfo).port
    await new Promise((r) => closed.close(r))
    resolver.set('d.test', 'd', { kind: 'local', port })
    const r = await request(front.port, { host: 'd.test' })
    expect(r.status).toBe(502)
    expect(r.body).toContain('ECONNREFUSED')
  })

  it('retries a bodyless request on the route the node picks after a direct path failed', async () => {
    const app = await startBackend('via-fallback')
    const resolver = new TableResolver()
    const front = await startFront({ resolver })
    // A port nobody listens on, picked once the app and the front hold theirs. Picked before, it
    // could be handed to the front, which would then forward to itself (a loop, answered 508).
    const closed = net.createServer()
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r))
    const deadPort = (closed.address() as net.AddressInfo).port
    await new Promise((r) => closed.close(r))
    resolver.set('f.test', 'f', { kind: 'direct', host: '127.0.0.1', port: deadPort })
    // What the node does on 'upstream-error': stop using that direct path.
    front.on('upstream-error', () => resolver.targets.set('f', { kind: 'local', port: app.port }))
    const r = await request(front.port, { host: 'f.test' })
    expect(r.status).toBe(200)
    expect(r.body).toBe('via-fallback\n')
    // A request with a body is not replayed: it may have reached the app.
    resolver.targets.set('f', { kind: 'direct', host: '127.0.0.1', port: deadPort })
    const post = await request(front.port, { host: 'f.test', method: 'POST', path: '/echo', body: 'once' })
    expect(post.status).toBe(502)
  })

  it('passes WebSocket upgrades through', async () => {
    const app = await startBackend('ws')
    const front = await startFront({ resolver: new TableResolver().set('ws.test', 'ws', { kind: 'local', port: app.port }) })
    const ws = new WebSocket(`ws://127.0.0.1:${front.port}/chat`, { headers: { host: 'ws.test' } })
    const replies: string[] = []
    await new Promise<void>((resolve, reject) => {
      ws.on('error', reject)
      ws.on('open', () => {
        ws.send('one')
        ws.send('two')
      })
      ws.on('message', (d) => {
        replies.push(d.toString())
        if (replies.length === 2) resolve()
      })
    })
    expect(replies).toEqual(['ws:ws.test:one', 'ws:ws.test:two'])
    expect(front.traffic.metrics('ws').connections).toBe(1)
    ws.close()
    await until(() => front.traffic.metrics('ws').connections === 0)
    const unknown = new WebSocket(`ws://127.0.0.1:${front.port}/`, { headers: { host: 'zz.test' } })
    const status = await new Promise<number>((resolve) => unknown.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)))
    expect(status).toBe(404)
    // An app that cannot be reached: the upgrade gets a 502, not a silent close.
    const deadResolver = new TableResolver()
    const deadFront = await startFront({ resolver: deadResolver })
    // Picked once that front holds its port (it must not be handed the same one).
    const gone = net.createServer()
    await new Promise<void>((r) => gone.listen(0, '127.0.0.1', r))
    const deadPort = (gone.address() as net.AddressInfo).port
    await new Promise((r) => gone.close(r))
    deadResolver.set('dead.test', 'dead', { kind: 'local', port: deadPort })
    const dead = new WebSocket(`ws://127.0.0.1:${deadFront.port}/`, { headers: { host: 'dead.test' } })
    dead.on('error', () => {})
    const deadStatus = await new Promise<number>((resolve) => dead.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)))
    expect(deadStatus).toBe(502)
    await until(() => deadFront.traffic.metrics('dead').connections === 0)
  })

  describe('hostile clients', () => {
    it('refuses request smuggling attempts and never forwards them', async () => {
      const app = await startBackend('victim')
      const front = await startFront({ resolver: new TableResolver().set('v.test', 'v', { kind: 'local', port: app.port }) })
      const attempts = [
        'POST / HTTP/1.1\r\nHost: v.test\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: v.test\r\n\r\n',
        'POST / HTTP/1.1\r\nHost: v.test\r\nContent-Length: 4\r\nContent-Length: 40\r\n\r\nabcd',
        'POST / HTTP/1.1\r\nHost: v.test\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n',
        'POST / HTTP/1.1\r\nHost: v.test\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n0\r\n\r\n',
        'POST / HTTP/1.0\r\nHost: v.test\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
        'POST / HTTP/1.1\r\nHost: v.test\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n'
      ]
      for (const raw of attempts) {
        const out = await rawExchange(front.port, raw)
        expect(out, raw).toMatch(/^HTTP\/1\.1 400 /)
        expect(out).not.toContain('HTTP/1.1 200')
      }
      expect(app.seen).toHaveLength(0)
      // A well-formed chunked request still goes through.
      const ok = await rawExchange(front.port, 'POST /echo HTTP/1.1\r\nHost: v.test\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n0\r\n\r\n')
      expect(ok).toMatch(/^HTTP\/1\.1 200 /)
      expect(app.seen.map((s) => s.body)).toEqual(['abcd'])
    })

    it('refuses huge headers with 431', async () => {
      const app = await startBackend('h')
      const front = await startFront({ resolver: new TableResolver().set('h.test', 'h', { kind: 'local', port: app.port }), maxHeaderSize: 4096 })
      const out = await rawExchange(front.port, `GET / HTTP/1.1\r\nHost: h.test\r\nX-Big: ${'a'.repeat(8000)}\r\n\r\n`)
      expect(out).toMatch(/^HTTP\/1\.1 431 /)
      expect(app.seen).toHaveLength(0)
    })

    it('times out slowloris clients while another app keeps answering promptly', async () => {
      const fast = await startBackend('fast')
      const resolver = new TableResolver().set('fast.test', 'fast', { kind: 'local', port: fast.port }).set('slow.test', 'slow', { kind: 'local', port: fast.port })
      const front = await startFront({ resolver, headersTimeoutMs: 600, requestTimeoutMs: 1200, timeoutCheckMs: 100 })
      const lorises = Array.from({ length: 50 }, () => {
        const s = net.connect(front.port, '127.0.0.1')
        let out = ''
        let closed = false
        s.on('data', (d) => (out += d.toString()))
        s.on('error', () => {})
        s.on('close', () => (closed = true))
        s.write('GET / HTTP/1.1\r\nHost: slow.test\r\n')
        const drip = setInterval(() => !closed && s.write(`X-${Math.random().toString(36).slice(2)}: y\r\n`), 100)
        return { s, drip, out: () => out, closed: () => closed }
      })
      const t0 = Date.now()
      const latencies: number[] = []
      while (Date.now() - t0 < 400) {
        const s0 = performance.now()
        const r = await request(front.port, { host: 'fast.test' })
        latencies.push(performance.now() - s0)
        expect(r.body).toBe('fast\n')
      }
      await until(() => lorises.every((l) => l.closed()))
      for (const l of lorises) clearInterval(l.drip)
      expect(Date.now() - t0).toBeLessThan(2500)
      expect(lorises.filter((l) => /^HTTP\/1\.1 408 /.test(l.out())).length).toBeGreaterThan(40)
      latencies.sort((a, b) => a - b)
      expect(latencies[Math.floor(latencies.length * 0.9)]).toBeLessThan(100)
    })
  })
})
