import http from 'node:http'
import net from 'node:net'
import { describe, expect, it, onTestFinished } from 'vitest'
import { FrontLinks } from '../../src/mesh/front-links.js'
import type { HttpFront } from '../../src/proxy/http-front.js'
import type { Target } from '../../src/proxy/route.js'
import { connectTarget } from '../../src/proxy/target-connect.js'
import { TcpFront } from '../../src/proxy/tcp-front.js'
import { LINK_REQUEST } from '../../src/protocol/link-handshake.js'
import { openRaw, request, startBackend, startFront, until } from '../proxy/helpers.js'

const HOST = 'app.test'

function links(onStream: ConstructorParameters<typeof FrontLinks>[0]['onStream'] = (_n, s) => s.destroy(), timing: { idleMs?: number; sweepMs?: number } = {}): FrontLinks {
  const l = new FrontLinks({ onStream, ...timing })
  onTestFinished(() => l.close())
  return l
}

/**
 * The master's node: a front whose target is the local app, taking links; and another node's
 * front whose target is the master's front, over a link once one is up (as ClusterRoutes does).
 */
async function twoNodes(opts: { masterTakesLinks?: boolean } = {}) {
  const app = await startBackend('app')
  const local: Target = { kind: 'local', port: app.port }
  let master: HttpFront | null = null
  const masterLinks = links((name, stream) => (name === `http:app` ? master!.accept(stream) : stream.refuse(new Error(`no ${name}`))))
  master = await startFront({
    resolver: { resolve: (h) => (h === HOST ? { app: 'app' } : null), target: async () => local, currentTarget: () => local },
    acceptLink: opts.masterTakesLinks === false ? undefined : (sock, rest) => masterLinks.accept(sock, rest)
  })
  const otherLinks = links()
  const failures: Error[] = []
  otherLinks.on('link-failed', (e: { error: Error }) => failures.push(e.error))
  const port = master.port
  const target = (): Target =>
    otherLinks.up('127.0.0.1', port)
      ? { kind: 'tunnel', key: 'link', open: () => otherLinks.open('127.0.0.1', port, 'http:app') ?? connectTarget({ kind: 'direct', host: '127.0.0.1', port }) }
      : { kind: 'direct', host: '127.0.0.1', port }
  const other = await startFront({ resolver: { resolve: (h) => (h === HOST ? { app: 'app' } : null), target: async () => target(), currentTarget: target } })
  return { app, master, masterLinks, other, otherLinks, failures }
}

describe('front links', () => {
  it('carry every client connection for a remote master over one connection between the nodes', async () => {
    const n = await twoNodes()
    // The first request asks for a link and goes directly meanwhile.
    expect((await request(n.other.port, { host: HOST })).body).toBe('app\n')
    await until(() => n.otherLinks.counts.out === 1)
    const before = n.app.connections
    const agent = new http.Agent({ keepAlive: true, maxSockets: 20 })
    onTestFinished(() => agent.destroy())
    const replies = await Promise.all(Array.from({ length: 60 }, (_, i) => request(n.other.port, { host: HOST, path: `/echo?i=${i}`, method: 'POST', body: `body ${i}`, agent })))
    expect(replies.map((r) => r.body)).toEqual(Array.from({ length: 60 }, (_, i) => `body ${i}`))
    expect(n.masterLinks.counts.in).toBe(1)
    expect(n.otherLinks.counts.out).toBe(1)
    // The master's front served them as its own clients' requests: forwarded headers from both
    // fronts, the other node's address (not "tunnel") as the last hop.
    const seen = n.app.seen.at(-1)!
    expect(seen.headers['x-forwarded-for']).toBe('127.0.0.1, 127.0.0.1')
    expect(seen.headers['x-forwarded-host']).toBe(HOST)
    // The master's front opened app connections for the link's streams, not one per request.
    expect(n.app.connections - before).toBeLessThanOrEqual(20)
  })

  it('stream large bodies both ways intact', async () => {
    const n = await twoNodes()
    await request(n.other.port, { host: HOST })
    await until(() => n.otherLinks.counts.out === 1)
    const body = 'x'.repeat(3 * 1024 * 1024) + 'end'
    const r = await request(n.other.port, { host: HOST, path: '/stream', method: 'POST', body })
    expect(r.body.length).toBe(body.length)
    expect(r.body.endsWith('xend')).toBe(true)
  })

  it('fall back to direct connections when the master does not take links, and do not ask again at once', async () => {
    const n = await twoNodes({ masterTakesLinks: false })
    for (let i = 0; i < 3; i++) expect((await request(n.other.port, { host: HOST })).body).toBe('app\n')
    await until(() => n.failures.length > 0)
    expect(n.failures.map((e) => (e as { code?: string }).code)).toEqual(['LINK_REFUSED'])
    expect(n.failures[0]!.message).toContain('404')
    for (let i = 0; i < 3; i++) expect((await request(n.other.port, { host: HOST })).body).toBe('app\n')
    expect(n.failures).toHaveLength(1)
    expect(n.otherLinks.counts.out).toBe(0)
  })

  it('recover when the link is cut: requests in flight fail, the next ones are answered', async () => {
    const n = await twoNodes()
    await request(n.other.port, { host: HOST })
    await until(() => n.otherLinks.counts.out === 1)
    expect((await request(n.other.port, { host: HOST })).body).toBe('app\n')
    n.masterLinks.close()
    await until(() => n.otherLinks.counts.out === 0)
    for (let i = 0; i < 3; i++) expect((await request(n.other.port, { host: HOST })).body).toBe('app\n')
  })

  it('close a link that sends garbage, and the master keeps serving everyone else', async () => {
    const n = await twoNodes()
    const raw = await openRaw(n.master.port)
    raw.write(LINK_REQUEST.toString('latin1'))
    await raw.waitFor((t) => t.includes('\r\n\r\n'))
    expect(raw.text()).toMatch(/^HTTP\/1\.1 101 /)
    expect(n.masterLinks.counts.in).toBe(1)
    const huge = Buffer.alloc(5)
    huge.writeUInt32LE(0xffffffff)
    raw.socket.write(huge)
    await raw.waitFor(() => false)
    expect(raw.closed()).toBe(true)
    await until(() => n.masterLinks.counts.in === 0)
    expect((await request(n.master.port, { host: HOST })).body).toBe('app\n')
    expect((await request(n.other.port, { host: HOST })).body).toBe('app\n')
  })

  it('close when idle: the maker’s after a while, one held open by someone else after twice that', async () => {
    const app = await startBackend('app')
    const local: Target = { kind: 'local', port: app.port }
    let master: HttpFront | null = null
    const masterLinks = links((_name, stream) => master!.accept(stream), { idleMs: 200, sweepMs: 50 })
    master = await startFront({
      resolver: { resolve: () => ({ app: 'app' }), target: async () => local, currentTarget: () => local },
      acceptLink: (sock, rest) => masterLinks.accept(sock, rest)
    })
    const other = links(undefined, { idleMs: 200, sweepMs: 50 })
    other.up('127.0.0.1', master.port)
    await until(() => other.counts.out === 1 && masterLinks.counts.in === 1)
    // In use: kept.
    const stream = other.open('127.0.0.1', master.port, 'http:app')!
    stream.on('error', () => {})
    await new Promise((r) => setTimeout(r, 500))
    expect(other.counts.out).toBe(1)
    stream.destroy()
    await until(() => other.counts.out === 0 && masterLinks.counts.in === 0)
    // A link request from a raw client that never opens a stream is cut by the master.
    const raw = await openRaw(master.port)
    raw.write(LINK_REQUEST.toString('latin1'))
    await until(() => masterLinks.counts.in === 1)
    const t0 = Date.now()
    await raw.waitFor(() => false)
    expect(raw.closed()).toBe(true)
    expect(Date.now() - t0).toBeGreaterThanOrEqual(300)
    expect(masterLinks.counts.in).toBe(0)
  })

  it('are not taken over a stream that is not a TCP connection, nor from a request with a body', async () => {
    const n = await twoNodes()
    const withBody = await openRaw(n.master.port)
    withBody.write(LINK_REQUEST.toString('latin1').replace('\r\n\r\n', '\r\ncontent-length: 2\r\n\r\nhi'))
    const text = await withBody.waitFor((t) => t.includes('\r\n\r\n'))
    expect(text).toMatch(/^HTTP\/1\.1 404 /)
    expect(n.masterLinks.counts.in).toBe(0)
  })

  it('carry raw TCP streams to the far node’s TCP front', async () => {
    const echo = net.createServer({ allowHalfOpen: true }, (s) => {
      s.on('data', (d) => s.write(`echo:${d}`))
      s.on('end', () => s.end())
    })
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r))
    onTestFinished(() => new Promise<void>((r) => echo.close(() => r())))
    const tcp = new TcpFront({ app: 'echo', port: 0, resolver: { target: async () => ({ kind: 'local', port: (echo.address() as net.AddressInfo).port }) } })
    await tcp.ready()
    onTestFinished(() => tcp.close())
    const masterLinks = links((name, stream) => (name === 'tcp:echo' ? tcp.accept(stream) : stream.refuse(new Error('no'))))
    const master = await startFront({ resolver: { resolve: () => null, target: async () => null }, acceptLink: (s, r) => masterLinks.accept(s, r) })
    const other = links()
    other.up('127.0.0.1', master.port)
    await until(() => other.counts.out === 1)
    const stream = other.open('127.0.0.1', master.port, 'tcp:echo')!
    let got = ''
    stream.on('data', (d: Buffer) => (got += d))
    const ended = new Promise<void>((r) => stream.on('end', r))
    stream.end('ping')
    await ended
    expect(got).toBe('echo:ping')
  })
})
