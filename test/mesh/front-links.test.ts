import http from 'node:http'
import net from 'node:net'
import { Duplex } from 'node:stream'
import { describe, expect, it, onTestFinished } from 'vitest'
import { FrontLinks } from '../../src/mesh/front-links.js'
import type { HttpFront } from '../../src/proxy/http-front.js'
import type { Target } from '../../src/proxy/route.js'
import { connectTarget } from '../../src/proxy/target-connect.js'
import { TcpFront } from '../../src/proxy/tcp-front.js'
import { linkRequest } from '../../src/protocol/link-handshake.js'
import { openRaw, request, startBackend, startFront, until } from '../proxy/helpers.js'

const HOST = 'app.test'
const MASTER = 'a'.repeat(64)
const OTHER = 'b'.repeat(64)
const STRANGER = 'c'.repeat(64)

function links(self: string, onStream: ConstructorParameters<typeof FrontLinks>[0]['onStream'] = (_n, s) => s.destroy(), timing: { idleMs?: number; sweepMs?: number } = {}): FrontLinks {
  const l = new FrontLinks({ self, onStream, ...timing })
  onTestFinished(() => l.close())
  return l
}

/**
 * The master's node: a front whose target is the local app, taking links for node MASTER; and
 * another node's front whose target is the master's front over a link once one is up, else a
 * stand-in for the mesh tunnel (a second backend, "fallback"), as ClusterRoutes does.
 * `dialAs`: the node the other side asks for (MASTER unless a test says otherwise).
 */
async function twoNodes(opts: { masterTakesLinks?: boolean; dialAs?: string } = {}) {
  const app = await startBackend('app')
  const fallback = await startBackend('fallback')
  const local: Target = { kind: 'local', port: app.port }
  let master: HttpFront | null = null
  /** Streams the master served over links, by name. */
  const served: string[] = []
  const masterLinks = links(MASTER, (name, stream) => {
    served.push(name)
    if (name === 'http:app') master!.accept(stream)
    else stream.refuse(new Error(`no ${name}`))
  })
  master = await startFront({
    resolver: { resolve: (h) => (h === HOST ? { app: 'app' } : null), target: async () => local, currentTarget: () => local },
    acceptLink: opts.masterTakesLinks === false ? undefined : (sock, rest, url) => masterLinks.accept(sock, rest, url)
  })
  const otherLinks = links(OTHER)
  const failures: Error[] = []
  otherLinks.on('link-failed', (e: { error: Error }) => failures.push(e.error))
  const port = master.port
  const node = opts.dialAs ?? MASTER
  const tunnel: Target = { kind: 'local', port: fallback.port }
  const target = (): Target =>
    otherLinks.reach('127.0.0.1', port, node) === 'up'
      ? { kind: 'tunnel', key: 'link', open: () => otherLinks.open('127.0.0.1', port, node, 'http:app') ?? connectTarget(tunnel) }
      : tunnel
  const other = await startFront({ resolver: { resolve: (h) => (h === HOST ? { app: 'app' } : null), target: async () => target(), currentTarget: target } })
  return { app, fallback, master, masterLinks, served, other, otherLinks, failures, node }
}

describe('front links', () => {
  it('carry every client connection for a remote master over one connection between the nodes', async () => {
    const n = await twoNodes()
    // The first request asks for a link and takes the tunnel meanwhile.
    expect((await request(n.other.port, { host: HOST })).body).toBe('fallback\n')
    await until(() => n.otherLinks.counts.out === 1)
    const before = n.app.connections
    const seenBefore = n.app.seen.length
    const agent = new http.Agent({ keepAlive: true, maxSockets: 20 })
    onTestFinished(() => agent.destroy())
    const replies = await Promise.all(Array.from({ length: 60 }, (_, i) => request(n.other.port, { host: HOST, path: `/echo?i=${i}`, method: 'POST', body: `body ${i}`, agent })))
    expect(replies.map((r) => r.body)).toEqual(Array.from({ length: 60 }, (_, i) => `body ${i}`))
    expect(n.masterLinks.counts.in).toBe(1)
    expect(n.otherLinks.counts.out).toBe(1)
    // Every one reached the app through the master's front over the link: one stream per client
    // connection (at most 20), none by the tunnel.
    expect(n.app.seen.length - seenBefore).toBe(60)
    expect(n.fallback.seen).toHaveLength(1)
    expect(n.served.length).toBeGreaterThan(0)
    expect(n.served.length).toBeLessThanOrEqual(20)
    expect(new Set(n.served)).toEqual(new Set(['http:app']))
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
    expect(n.served).toEqual(['http:app'])
  })

  it('leave requests to the tunnel when the master does not take links, and do not ask again at once', async () => {
    const n = await twoNodes({ masterTakesLinks: false })
    for (let i = 0; i < 3; i++) expect((await request(n.other.port, { host: HOST })).body).toBe('fallback\n')
    await until(() => n.failures.length > 0)
    expect(n.failures.map((e) => (e as { code?: string }).code)).toEqual(['LINK_REFUSED'])
    expect(n.failures[0]!.message).toContain('404')
    expect(n.otherLinks.reach('127.0.0.1', n.master.port, MASTER)).toBe('refused')
    for (let i = 0; i < 3; i++) expect((await request(n.other.port, { host: HOST })).body).toBe('fallback\n')
    expect(n.failures).toHaveLength(1)
    expect(n.otherLinks.counts.out).toBe(0)
    expect(n.app.seen).toHaveLength(0)
  })

  it('are taken only by the node they name: an address that leads to another node is refused, and not used', async () => {
    // The address is the master's front, but the other node means a third node there (as when
    // a private address advertised by one server is another server's, or its own).
    const n = await twoNodes({ dialAs: STRANGER })
    expect((await request(n.other.port, { host: HOST })).body).toBe('fallback\n')
    await until(() => n.failures.length > 0)
    expect(n.failures[0]!.message).toContain('421')
    expect(n.otherLinks.reach('127.0.0.1', n.master.port, STRANGER)).toBe('refused')
    expect(n.otherLinks.verified('127.0.0.1', n.master.port, STRANGER)).toBe(false)
    expect(n.masterLinks.counts.in).toBe(0)
    for (let i = 0; i < 3; i++) expect((await request(n.other.port, { host: HOST })).body).toBe('fallback\n')
    expect(n.app.seen).toHaveLength(0)
    // The master says who it is, and takes a link asked for it.
    const raw = await openRaw(n.master.port)
    raw.write(linkRequest(STRANGER).toString('latin1'))
    expect(await raw.waitFor((t) => t.includes('\r\n\r\n'))).toMatch(new RegExp(`^HTTP/1\\.1 421 [^]*this is node ${MASTER.slice(0, 12)}, not ${STRANGER.slice(0, 12)}`))
    const bad = await openRaw(n.master.port)
    bad.write(linkRequest(MASTER).toString('latin1').replace(`/${MASTER}`, '/nobody'))
    expect(await bad.waitFor((t) => t.includes('\r\n\r\n'))).toMatch(/^HTTP\/1\.1 400 /)
    expect(n.otherLinks.reach('127.0.0.1', n.master.port, MASTER)).toBe('trying')
    await until(() => n.otherLinks.reach('127.0.0.1', n.master.port, MASTER) === 'up')
    expect(n.otherLinks.verified('127.0.0.1', n.master.port, MASTER)).toBe(true)
  })

  it('stay verified after an idle link closes, and not after a refusal', async () => {
    const app = await startBackend('app')
    const local: Target = { kind: 'local', port: app.port }
    let takes = true
    const masterLinks = links(MASTER, (_name, stream) => stream.destroy())
    const master = await startFront({
      resolver: { resolve: () => ({ app: 'app' }), target: async () => local, currentTarget: () => local },
      acceptLink: (sock, rest, url) => (takes ? masterLinks.accept(sock, rest, url) : sock.end('HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n'))
    })
    const other = new FrontLinks({ self: OTHER, onStream: (_n, s) => s.destroy(), idleMs: 100, sweepMs: 20, retryMs: 0 })
    onTestFinished(() => other.close())
    other.reach('127.0.0.1', master.port, MASTER)
    await until(() => other.counts.out === 1)
    await until(() => other.counts.out === 0)
    expect(other.verified('127.0.0.1', master.port, MASTER)).toBe(true)
    takes = false
    const refused = new Promise((r) => other.once('link-failed', r))
    expect(other.reach('127.0.0.1', master.port, MASTER)).toBe('trying')
    await refused
    expect(other.verified('127.0.0.1', master.port, MASTER)).toBe(false)
  })

  it('recover when the link is cut: requests in flight fail, the next ones are answered', async () => {
    const n = await twoNodes()
    await request(n.other.port, { host: HOST })
    await until(() => n.otherLinks.counts.out === 1)
    expect((await request(n.other.port, { host: HOST })).body).toBe('app\n')
    const inFlight = request(n.other.port, { host: HOST, path: '/slow?ms=2000' }).then(
      (r) => r.status,
      () => 'cut'
    )
    await until(() => n.served.length === 2)
    n.masterLinks.close()
    await until(() => n.otherLinks.counts.out === 0)
    // It never gets the app's answer: an error status or a cut connection.
    expect(await inFlight).not.toBe(200)
    for (let i = 0; i < 3; i++) expect(['app\n', 'fallback\n']).toContain((await request(n.other.port, { host: HOST })).body)
  })

  it('close a link that sends garbage, and the master keeps serving everyone else', async () => {
    const n = await twoNodes()
    const raw = await openRaw(n.master.port)
    raw.write(linkRequest(MASTER).toString('latin1'))
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
    expect(['app\n', 'fallback\n']).toContain((await request(n.other.port, { host: HOST })).body)
    await until(() => n.otherLinks.reach('127.0.0.1', n.master.port, MASTER) === 'up')
    expect((await request(n.other.port, { host: HOST })).body).toBe('app\n')
  })

  it('close when idle: the maker’s after a while, one held open by someone else after twice that', async () => {
    const app = await startBackend('app')
    const local: Target = { kind: 'local', port: app.port }
    let master: HttpFront | null = null
    const masterLinks = links(MASTER, (_name, stream) => master!.accept(stream), { idleMs: 200, sweepMs: 50 })
    master = await startFront({
      resolver: { resolve: () => ({ app: 'app' }), target: async () => local, currentTarget: () => local },
      acceptLink: (sock, rest, url) => masterLinks.accept(sock, rest, url)
    })
    const other = links(OTHER, undefined, { idleMs: 200, sweepMs: 50 })
    other.reach('127.0.0.1', master.port, MASTER)
    await until(() => other.counts.out === 1 && masterLinks.counts.in === 1)
    // In use: kept.
    const stream = other.open('127.0.0.1', master.port, MASTER, 'http:app')!
    stream.on('error', () => {})
    await new Promise((r) => setTimeout(r, 500))
    expect(other.counts.out).toBe(1)
    stream.destroy()
    await until(() => other.counts.out === 0 && masterLinks.counts.in === 0)
    // A link request from a raw client that never opens a stream is cut by the master.
    const raw = await openRaw(master.port)
    raw.write(linkRequest(MASTER).toString('latin1'))
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
    withBody.write(linkRequest(MASTER).toString('latin1').replace('\r\n\r\n', '\r\ncontent-length: 2\r\n\r\nhi'))
    const text = await withBody.waitFor((t) => t.includes('\r\n\r\n'))
    expect(text).toMatch(/^HTTP\/1\.1 404 /)
    // A stream (say one tunnelled from yet another node) cannot become a link either.
    let answer = ''
    const stream = new Duplex({
      read() {},
      write(chunk: Buffer, _enc, cb) {
        answer += chunk.toString('latin1')
        cb()
      }
    })
    n.master.accept(stream)
    stream.push(linkRequest(MASTER))
    await until(() => answer.includes('\r\n\r\n'))
    expect(answer).toMatch(/^HTTP\/1\.1 404 /)
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
    const masterLinks = links(MASTER, (name, stream) => (name === 'tcp:echo' ? tcp.accept(stream) : stream.refuse(new Error('no'))))
    const master = await startFront({ resolver: { resolve: () => null, target: async () => null }, acceptLink: (s, r, u) => masterLinks.accept(s, r, u) })
    const other = links(OTHER)
    other.reach('127.0.0.1', master.port, MASTER)
    await until(() => other.counts.out === 1)
    const stream = other.open('127.0.0.1', master.port, MASTER, 'tcp:echo')!
    let got = ''
    stream.on('data', (d: Buffer) => (got += d))
    const ended = new Promise<void>((r) => stream.on('end', r))
    stream.end('ping')
    await ended
    expect(got).toBe('echo:ping')
  })
})
