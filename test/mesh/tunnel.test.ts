import crypto from 'node:crypto'
import http from 'node:http'
import net, { type AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import Hyperswarm, { type SwarmConnection } from 'hyperswarm'
import DHT from 'hyperdht'
import createTestnet from 'hyperdht/testnet.js'
import Protomux from 'protomux'
import WebSocket from 'ws'
import { ShoalError } from '../../src/core/errors.js'
import { MeshTunnel } from '../../src/mesh/tunnel.js'
import type { TunnelStream } from '../../src/mesh/tunnel-stream.js'
import { TUNNEL_WINDOW } from '../../src/protocol/tunnel-messages.js'
import { CHANNELS } from '../../src/protocol/version.js'
import c from 'compact-encoding'
import { connectTarget, splice } from '../../src/proxy/target-connect.js'
import { TcpFront } from '../../src/proxy/tcp-front.js'
import { TableResolver, request, startBackend, startFront, until } from '../proxy/helpers.js'

type Testnet = Awaited<ReturnType<typeof createTestnet>>

let testnet: Testnet
let swarms: Hyperswarm[] = []
let connA: SwarmConnection
let dialer: MeshTunnel // side A: opens streams
let acceptor: MeshTunnel // side B: accepts them
let onStream: (app: string, s: TunnelStream) => void = (_app, s) => s.destroy()
let echoPort = 0
let echoServer: net.Server

beforeAll(async () => {
  testnet = await createTestnet(3, { host: '127.0.0.1' })
  const make = () => new Hyperswarm({ dht: new DHT({ bootstrap: testnet.bootstrap, host: '127.0.0.1' }) })
  const a = make()
  const b = make()
  swarms = [a, b]
  const gotA = new Promise<SwarmConnection>((r) => a.once('connection', (c: SwarmConnection) => r(c)))
  const gotB = new Promise<SwarmConnection>((r) => b.once('connection', (c: SwarmConnection) => r(c)))
  const topic = crypto.randomBytes(32)
  await b.join(topic, { server: true, client: false }).flushed()
  a.join(topic, { server: false, client: true })
  await a.flush()
  const [ca, cb] = await Promise.all([gotA, gotB])
  for (const conn of [ca, cb]) conn.on('error', () => {})
  connA = ca
  dialer = new MeshTunnel(Protomux.from(ca))
  acceptor = new MeshTunnel(Protomux.from(cb), { onStream: (app, s) => onStream(app, s) })
  echoServer = net.createServer((sock) => sock.pipe(sock))
  await new Promise<void>((r) => echoServer.listen(0, '127.0.0.1', r))
  echoPort = (echoServer.address() as AddressInfo).port
}, 30_000)

afterAll(async () => {
  echoServer?.close()
  for (const s of swarms) await s.destroy()
  await testnet?.destroy()
})

/** The accepting side connects streams for app "echo" to a local TCP echo server. */
function acceptToLocal(ports: Record<string, number>): void {
  onStream = (app, s) => {
    const port = ports[app]
    if (!port) return s.refuse(new ShoalError('UNKNOWN_APP', `no app "${app}" here`))
    splice(s, connectTarget({ kind: 'local', port }), () => {})
  }
}

function readAll(s: NodeJS.ReadableStream): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    s.on('data', (c: Buffer) => chunks.push(c))
    s.on('end', () => resolve(Buffer.concat(chunks)))
    s.on('error', reject)
  })
}

describe('MeshTunnel over a real hyperswarm connection', () => {
  it('multiplexes many concurrent streams with every byte intact', async () => {
    acceptToLocal({ echo: echoPort })
    const runs = Array.from({ length: 40 }, async (_, i) => {
      const payload = crypto.randomBytes(20_000 + i * 15_000)
      const s = dialer.open('echo')
      const back = new Promise<Buffer>((resolve, reject) => {
        const chunks: Buffer[] = []
        let n = 0
        s.on('data', (c: Buffer) => {
          chunks.push(c)
          n += c.length
          if (n >= payload.length) resolve(Buffer.concat(chunks))
        })
        s.on('error', reject)
      })
      s.write(payload)
      const got = await back
      s.destroy()
      return got.equals(payload)
    })
    expect(await Promise.all(runs)).toEqual(Array(40).fill(true))
    await until(() => dialer.streams === 0 && acceptor.streams === 0)
  })

  it('applies backpressure per stream: a reader that stops reading stops its writer', async () => {
    let remote: TunnelStream | null = null
    onStream = (_app, s) => {
      remote = s
      s.on('error', () => {}) // reset when we destroy our side at the end
      s.pause()
    }
    const s = dialer.open('sink')
    const total = 8 * 1024 * 1024
    const chunk = Buffer.alloc(64 * 1024, 7)
    // Ignore write()'s advice: everything is queued locally, and must stay queued here.
    for (let written = 0; written < total; written += chunk.length) s.write(chunk)
    await until(() => remote !== null)
    await until(() => remote!.readableLength >= TUNNEL_WINDOW / 2)
    await new Promise((r) => setTimeout(r, 200))
    // The peer buffers at most one window, however much we tried to send.
    expect(remote!.readableLength).toBeLessThanOrEqual(TUNNEL_WINDOW)
    expect(s.writableLength).toBeGreaterThan(total - 2 * TUNNEL_WINDOW)
    // Meanwhile another stream on the same connection flows freely.
    acceptToLocal({ echo: echoPort })
    const other = dialer.open('echo')
    other.end('still moving')
    expect((await readAll(other)).toString()).toBe('still moving')
    // Reading resumes the writer; everything arrives.
    let received = 0
    remote!.on('data', (c: Buffer) => (received += c.length))
    remote!.resume()
    await until(() => received === total)
    s.destroy()
  })

  it('half-closes cleanly in each direction, then closes without errors', async () => {
    let remote: TunnelStream | null = null
    onStream = (_app, s) => (remote = s)
    const s = dialer.open('half')
    const errors: Error[] = []
    s.on('error', (e) => errors.push(e))
    s.end('request')
    await until(() => remote !== null)
    remote!.on('error', (e) => errors.push(e))
    expect((await readAll(remote!)).toString()).toBe('request')
    // Our side has ended writing, but still reads what the peer sends after that.
    remote!.write('reply-1 ')
    remote!.end('reply-2')
    expect((await readAll(s)).toString()).toBe('reply-1 reply-2')
    await until(() => s.destroyed && remote!.destroyed)
    expect(errors).toEqual([])
    expect(dialer.streams).toBe(0)
    expect(acceptor.streams).toBe(0)
  })

  it('carries the error code of a refused stream and resets the peer on destroy', async () => {
    acceptToLocal({ echo: echoPort })
    const refused = dialer.open('no-such-app')
    const err = await new Promise<Error>((r) => refused.on('error', r))
    expect(ShoalError.is(err, 'UNKNOWN_APP')).toBe(true)
    expect(err.message).toContain('no-such-app')

    let remote: TunnelStream | null = null
    onStream = (_app, s) => (remote = s)
    const s = dialer.open('x')
    s.write('hi')
    await until(() => remote !== null)
    const remoteErr = new Promise<Error>((r) => remote!.on('error', r))
    s.destroy()
    expect(ShoalError.is(await remoteErr, 'TUNNEL_RESET')).toBe(true)
  })

  it('forwards HTTP (keep-alive, chunked streaming) and WebSocket through an HTTP front to a tunnel target', async () => {
    const app = await startBackend('far')
    acceptToLocal({ far: app.port })
    const target = { kind: 'tunnel' as const, key: 'node-b', open: () => dialer.open('far') }
    const front = await startFront({ resolver: new TableResolver().set('far.test', 'far', target) })
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
    for (let i = 0; i < 5; i++) {
      const r = await request(front.port, { host: 'far.test', path: '/echo', method: 'POST', body: `n${i}`, agent })
      expect(r.status).toBe(200)
      expect(r.body).toBe(`n${i}`)
    }
    agent.destroy()
    // Pooled: five requests, one tunnel stream, one connection to the app.
    expect(app.connections).toBe(1)
    expect(acceptor.streams).toBe(1)
    expect(app.seen[0].headers['x-forwarded-host']).toBe('far.test')

    const big = crypto.randomBytes(3 * 1024 * 1024)
    const echoed = await new Promise<Buffer>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: front.port, method: 'POST', path: '/stream', headers: { host: 'far.test' } })
      req.on('response', (res) => readAll(res).then(resolve, reject))
      req.on('error', reject)
      for (let off = 0; off < big.length; off += 100_000) req.write(big.subarray(off, off + 100_000))
      req.end()
    })
    expect(echoed.equals(big)).toBe(true)

    const ws = new WebSocket(`ws://127.0.0.1:${front.port}/`, { headers: { host: 'far.test' } })
    const reply = await new Promise<string>((resolve, reject) => {
      ws.on('open', () => ws.send('ping'))
      ws.on('message', (d) => resolve(d.toString()))
      ws.on('error', reject)
    })
    expect(reply).toBe('far:far.test:ping')
    ws.close()
  })

  it('feeds tunnel streams into the master\'s own HTTP front (accept), counted like any client', async () => {
    const app = await startBackend('behind')
    const master = await startFront({ resolver: new TableResolver().set('b.test', 'b', { kind: 'local', port: app.port }) })
    onStream = (_name, s) => master.accept(s)
    const edge = await startFront({
      resolver: new TableResolver().set('b.test', 'b', { kind: 'tunnel', key: 'master', open: () => dialer.open('http:b') })
    })
    const r = await request(edge.port, { host: 'b.test', path: '/echo', method: 'POST', body: 'through' })
    expect(r.body).toBe('through')
    expect(app.seen[0].headers['x-shoal-hops']).toBe('2')
    expect(app.seen[0].headers['x-forwarded-for']).toBe('127.0.0.1, tunnel')
    const load = master.traffic.metrics('b').load()
    expect(Number.isFinite(load.bytesPerSec)).toBe(true)
    expect(load.bytesPerSec).toBeGreaterThan(0)
    expect(load.rps).toBeGreaterThan(0)
  })

  it('carries a TCP front connection through a tunnel, half-close included', async () => {
    const app = net.createServer({ allowHalfOpen: true }, (sock) => {
      sock.on('data', (d) => sock.write(`far:${d}`))
      sock.on('end', () => sock.end('far:bye'))
    })
    await new Promise<void>((r) => app.listen(0, '127.0.0.1', r))
    acceptToLocal({ tcpapp: (app.address() as AddressInfo).port })
    const front = new TcpFront({ app: 'tcpapp', port: 0, resolver: { target: async () => ({ kind: 'tunnel', key: 'b', open: () => dialer.open('tcpapp') }) } })
    await front.ready()
    const out = await new Promise<string>((resolve, reject) => {
      const s = net.connect({ port: front.port, host: '127.0.0.1', allowHalfOpen: true })
      let got = ''
      s.on('data', (d) => (got += d))
      s.on('end', () => {
        s.end()
        resolve(got)
      })
      s.on('error', reject)
      s.end('hello')
    })
    expect(out).toBe('far:hellofar:bye')
    await front.close()
    app.close()
  })

  it('errors every stream with TUNNEL_CLOSED when the connection drops, and refuses new ones', async () => {
    onStream = (_app, s) => s.on('error', () => {})
    const s = dialer.open('stuck')
    s.write('x')
    await until(() => acceptor.streams > 0)
    const err = new Promise<Error>((r) => s.on('error', r))
    connA.destroy()
    expect(ShoalError.is(await err, 'TUNNEL_CLOSED')).toBe(true)
    await until(() => acceptor.streams === 0)
    const late = dialer.open('echo')
    const lateErr = await new Promise<Error>((r) => late.on('error', r))
    expect(ShoalError.is(lateErr, 'TUNNEL_CLOSED')).toBe(true)
  })
})

describe('MeshTunnel facing a peer that sends garbage', () => {
  it('drops its tunnels but keeps the mesh connection and its other channels', async () => {
    const make = () => new Hyperswarm({ dht: new DHT({ bootstrap: testnet.bootstrap, host: '127.0.0.1' }) })
    const a = make()
    const b = make()
    swarms.push(a, b)
    const gotA = new Promise<SwarmConnection>((r) => a.once('connection', (c: SwarmConnection) => r(c)))
    const gotB = new Promise<SwarmConnection>((r) => b.once('connection', (c: SwarmConnection) => r(c)))
    const topic = crypto.randomBytes(32)
    await b.join(topic, { server: true, client: false }).flushed()
    a.join(topic, { server: false, client: true })
    const [ca, cb] = await Promise.all([gotA, gotB])
    for (const conn of [ca, cb]) conn.on('error', () => {})
    const muxA = Protomux.from(ca)
    const muxB = Protomux.from(cb)
    // A well-behaved side and a hostile one speaking the tunnel protocol with raw frames.
    const good = new MeshTunnel(muxA)
    const badFrames: Error[] = []
    good.on('bad-frame', (e: Error) => badFrames.push(e))
    const closed = new Promise((r) => good.once('close', r))
    const hostile = muxB.createChannel({ protocol: CHANNELS.tunnel })!
    const rawOpen = hostile.addMessage({ encoding: c.raw })
    hostile.open()
    // Another protocol on the same connection, to show it survives.
    const pingsA: string[] = []
    const echoA = muxA.createChannel({ protocol: 'test/echo' })!
    echoA.addMessage({ encoding: c.string, onmessage: (m: string) => pingsA.push(m) })
    echoA.open()
    const echoB = muxB.createChannel({ protocol: 'test/echo' })!
    const sendB = echoB.addMessage({ encoding: c.string })
    echoB.open()
    await until(() => good.opened && echoA.opened)
    rawOpen.send(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]))
    await closed
    expect(ShoalError.is(badFrames[0], 'BAD_FRAME')).toBe(true)
    const late = good.open('x')
    expect(ShoalError.is(await new Promise<Error>((r) => late.on('error', r)), 'TUNNEL_CLOSED')).toBe(true)
    sendB.send('still here')
    await until(() => pingsA.length === 1)
    expect(pingsA).toEqual(['still here'])
    expect(ca.destroyed).toBe(false)
  })
})
