import { spawn } from 'node:child_process'
import net, { type AddressInfo } from 'node:net'
import { describe, expect, it, onTestFinished } from 'vitest'
import { TcpFront } from '../../src/proxy/tcp-front.js'
import { AppTraffic } from '../../src/proxy/traffic.js'
import type { Target } from '../../src/proxy/route.js'
import { DIRECT_CONNECT_TIMEOUT_MS } from '../../src/proxy/target-connect.js'
import { until } from './helpers.js'

/** An echo app that prefixes its name, and waits for the client's FIN before closing. */
async function echoApp(name: string): Promise<number> {
  const srv = net.createServer({ allowHalfOpen: true }, (s) => {
    s.on('data', (d) => s.write(`${name}:${d}`))
    s.on('end', () => s.end(`${name}:bye`))
  })
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r))
  onTestFinished(() => new Promise<void>((r) => srv.close(() => r())))
  return (srv.address() as AddressInfo).port
}

async function startTcpFront(targets: { current: Target | null }, traffic = new AppTraffic(), noTargetWaitMs = 2000): Promise<TcpFront> {
  const front = new TcpFront({ app: 'echo', port: 0, resolver: { target: async () => targets.current }, traffic, noTargetWaitMs })
  await front.ready()
  onTestFinished(() => front.close())
  return front
}

/** Sends `text`, half-closes, and reads until the server closes. */
function exchange(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true })
    let out = ''
    s.on('data', (d) => (out += d))
    s.on('end', () => {
      s.end()
      resolve(out)
    })
    s.on('error', reject)
    s.on('close', () => resolve(out))
    s.end(text)
  })
}

describe('TcpFront', () => {
  it('pipes a connection to the local target, with half-close carried across', async () => {
    const port = await echoApp('a')
    const traffic = new AppTraffic()
    const front = await startTcpFront({ current: { kind: 'local', port } }, traffic)
    expect(await exchange(front.port, 'hello')).toBe('a:helloa:bye')
    await until(() => traffic.metrics('echo').connections === 0)
    const load = traffic.metrics('echo').load()
    expect(load.rps).toBeGreaterThan(0)
    expect(load.bytesPerSec).toBeGreaterThan(0)
  })

  it('holds new connections while paused and releases them to a new target', async () => {
    const oldPort = await echoApp('old')
    const newPort = await echoApp('new')
    const targets = { current: { kind: 'local', port: oldPort } as Target | null }
    const traffic = new AppTraffic()
    const front = await startTcpFront(targets, traffic)
    const gate = traffic.gate('echo')
    gate.pause()
    const pending = Array.from({ length: 10 }, (_, i) => exchange(front.port, `c${i}`))
    await until(() => gate.held === 10)
    // The router still names the old app: the held connections go where the release says.
    gate.release({ kind: 'local', port: newPort })
    const out = await Promise.all(pending)
    expect(out).toEqual(Array.from({ length: 10 }, (_, i) => `new:c${i}new:bye`))
  })

  it('closes a connection when no target appears in time', async () => {
    const front = await startTcpFront({ current: null }, new AppTraffic(), 100)
    const t0 = Date.now()
    expect(await exchange(front.port, 'anyone?')).toBe('')
    expect(Date.now() - t0).toBeGreaterThanOrEqual(90)
  })

  it('drain waits for open connections, and terminate cuts them', async () => {
    const port = await echoApp('t')
    const traffic = new AppTraffic()
    const front = await startTcpFront({ current: { kind: 'local', port } }, traffic)
    const s = net.connect(front.port, '127.0.0.1')
    s.on('error', () => {})
    const closed = new Promise((r) => s.on('close', r))
    s.write('x')
    await new Promise((r) => s.once('data', r))
    const gate = traffic.gate('echo')
    gate.pause()
    expect(await gate.drain(50)).toBe(false)
    gate.terminate(new Error('move'))
    expect(await gate.drain(1000)).toBe(true)
    await closed
  })

  it('sends a connection whose direct target refuses to the target the router names next, the client’s bytes intact', async () => {
    const { front, errors } = await directThenTunnel(await freePort())
    expect(await exchange(front.port, 'hello')).toBe('tunnel:hellotunnel:bye')
    expect(errors).toEqual(['ECONNREFUSED'])
  })

  it('gives up on a direct target that drops the connection attempt after a short timeout, and goes on elsewhere', async () => {
    const { front, errors } = await directThenTunnel(await silentAddress())
    const t0 = Date.now()
    expect(await exchange(front.port, 'hello')).toBe('tunnel:hellotunnel:bye')
    const took = Date.now() - t0
    expect(errors).toEqual(['CONNECT_TIMEOUT'])
    expect(took).toBeGreaterThanOrEqual(DIRECT_CONNECT_TIMEOUT_MS - 100)
    expect(took).toBeLessThan(DIRECT_CONNECT_TIMEOUT_MS + 2000)
  })

  it('closes the client when a direct target refuses and the router has nothing else', async () => {
    const closed = await freePort()
    const front = await startTcpFront({ current: { kind: 'direct', host: '127.0.0.1', port: closed } })
    expect(await exchange(front.port, 'hello')).toBe('')
  })
})

/**
 * A front whose router names a direct target at `directPort` on 127.0.0.1 until it hears that
 * target failed, then an echo app named "tunnel" (as a node turns to the mesh tunnel).
 */
async function directThenTunnel(directPort: number): Promise<{ front: TcpFront; errors: string[] }> {
  const port = await echoApp('tunnel')
  const targets = { current: { kind: 'direct', host: '127.0.0.1', port: directPort } as Target | null }
  const front = await startTcpFront(targets)
  const errors: string[] = []
  front.on('upstream-error', (e: { error: { code?: string } }) => {
    errors.push(e.error.code ?? '?')
    targets.current = { kind: 'local', port }
  })
  return { front, errors }
}

async function freePort(): Promise<number> {
  const srv = net.createServer()
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r))
  const port = (srv.address() as AddressInfo).port
  await new Promise<void>((r) => srv.close(() => r()))
  return port
}

/**
 * A port on 127.0.0.1 where connection attempts get no answer at all, as at an address whose
 * packets are dropped: a listener in another process that never accepts, its queue filled.
 */
async function silentAddress(): Promise<number> {
  const code = "require('net').createServer().listen({ port: 0, host: '127.0.0.1', backlog: 1 }, function () { console.log(this.address().port); Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 60000) })"
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] })
  onTestFinished(() => void child.kill('SIGKILL'))
  const port = await new Promise<number>((resolve) => child.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))))
  // Fill the queue the listener never empties; the kernel then drops further attempts.
  const fillers: net.Socket[] = []
  onTestFinished(() => fillers.forEach((f) => f.destroy()))
  for (let i = 0; i < 4; i++) {
    const f = net.connect(port, '127.0.0.1')
    f.on('error', () => {})
    fillers.push(f)
  }
  await new Promise((r) => setTimeout(r, 200))
  const probe = net.connect(port, '127.0.0.1')
  probe.on('error', () => {})
  fillers.push(probe)
  const answered = await new Promise<boolean>((resolve) => {
    probe.once('connect', () => resolve(true))
    setTimeout(() => resolve(false), 500)
  })
  if (answered) throw new Error('the silent listener still answers: cannot test a dropped connection attempt here')
  return port
}

