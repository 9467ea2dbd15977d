import { afterEach, describe, expect, it } from 'vitest'
import b4a from 'b4a'
import net from 'node:net'
import DHT from 'hyperdht'
import type Protomux from 'protomux'
import { DataLinks } from '../../src/mesh/data-links.js'
import type { NodeId } from '../../src/core/types.js'

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

interface Node {
  id: NodeId
  keyPair: ReturnType<typeof DHT.keyPair>
  links: DataLinks
  sessions: Array<{ peer: NodeId; mux: Protomux }>
  failures: string[]
  admit: Set<NodeId>
}

async function node(timing: { keepAliveMs?: number; idleTimeoutMs?: number } = {}): Promise<Node> {
  const keyPair = DHT.keyPair()
  const id = b4a.toString(keyPair.publicKey, 'hex')
  const sessions: Node['sessions'] = []
  const admit = new Set<NodeId>()
  const links = new DataLinks({ keyPair, host: '127.0.0.1', port: 0, admitted: (p) => admit.has(p), onSession: (peer, mux) => sessions.push({ peer, mux }), ...timing })
  const failures: string[] = []
  links.on('failed', (_peer: NodeId, err: Error) => failures.push(err.message))
  await links.listen()
  cleanups.push(() => links.close())
  return { id, keyPair, links, sessions, failures, admit }
}

const at = (n: Node) => [{ host: '127.0.0.1', port: n.links.port }]

/** Sends `text` on a test channel of `from` and resolves what the same channel of `to` got. */
function roundTrip(from: Protomux, to: Protomux, text: string): Promise<string> {
  return new Promise((resolve) => {
    const channel = (mux: Protomux, onmessage?: (m: Uint8Array) => void) => {
      const ch = mux.createChannel({ protocol: 'test/echo', unique: true })!
      const msg = ch.addMessage<Uint8Array>({ onmessage })
      ch.open()
      return msg
    }
    channel(to, (m) => resolve(b4a.toString(m)))
    channel(from).send(b4a.from(text))
  })
}

const closed = (mux: Protomux) => (mux.stream as { destroyed: boolean }).destroyed

describe('DataLinks', () => {
  it('connects two admitted nodes over TCP, each side knowing the other by its key, and carries channels', async () => {
    const a = await node()
    const b = await node()
    a.admit.add(b.id)
    const mux = await b.links.connect(a.id, at(a))
    expect(mux).not.toBeNull()
    expect(b.sessions.map((s) => s.peer)).toEqual([a.id])
    await expect.poll(() => a.sessions.map((s) => s.peer)).toEqual([b.id])
    expect(await roundTrip(mux!, a.sessions[0]!.mux, 'hello over tcp')).toBe('hello over tcp')
    // A second connect reuses the open session.
    expect(await b.links.connect(a.id, at(a))).toBe(mux)
    expect(b.links.current(a.id)).toBe(mux)
  })

  it('a listener that does not admit the dialler: no session, the dial fails, and is not retried at once', async () => {
    const a = await node()
    const b = await node()
    expect(await b.links.connect(a.id, at(a))).toBeNull()
    expect(a.sessions).toEqual([])
    expect(b.sessions).toEqual([])
    expect(b.failures).toHaveLength(1)
    // Within RETRY_AFTER_MS the peer is not dialled again at the same address (the mesh carries
    // transfers meanwhile)...
    a.admit.add(b.id)
    expect(await b.links.connect(a.id, at(a))).toBeNull()
    expect(a.sessions).toEqual([])
    // ...but a new port (the peer restarted) is tried at once.
    const restarted = new DataLinks({ keyPair: a.keyPair, host: '127.0.0.1', port: 0, admitted: () => true, onSession: () => undefined })
    await restarted.listen()
    cleanups.push(() => restarted.close())
    expect(await b.links.connect(a.id, [{ host: '127.0.0.1', port: restarted.port }])).not.toBeNull()
  })

  it('refuses a listener that is another node than the one meant', async () => {
    const a = await node()
    const b = await node()
    const c = await node()
    a.admit.add(b.id)
    expect(await b.links.connect(c.id, at(a))).toBeNull()
    expect(b.failures[0]).toMatch(/is node .*, not /)
    expect(b.sessions).toEqual([])
  })

  it('a port with nothing on it, or garbage sent to the listener, fails cleanly and the listener keeps serving', async () => {
    const a = await node()
    const b = await node()
    a.admit.add(b.id)
    const dead = net.createServer()
    await new Promise<void>((resolve) => dead.listen(0, '127.0.0.1', resolve))
    const deadPort = (dead.address() as net.AddressInfo).port
    await new Promise((resolve) => dead.close(resolve))
    expect(await b.links.connect(a.id, [{ host: '127.0.0.1', port: deadPort }])).toBeNull()
    expect(b.failures[0]).toMatch(/ECONNREFUSED/)

    const junk = net.connect(a.links.port, '127.0.0.1')
    junk.on('error', () => undefined)
    junk.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n' + 'x'.repeat(70_000))
    await new Promise((resolve) => junk.once('close', resolve))
    expect(a.sessions).toEqual([])

    const c = await node()
    a.admit.add(c.id)
    expect(await c.links.connect(a.id, at(a))).not.toBeNull()
  })

  it('two nodes dialling each other at once end with one session both use', async () => {
    const a = await node()
    const b = await node()
    a.admit.add(b.id)
    b.admit.add(a.id)
    const [ma, mb] = await Promise.all([a.links.connect(b.id, at(b)), b.links.connect(a.id, at(a))])
    expect(ma).not.toBeNull()
    expect(mb).not.toBeNull()
    await new Promise((resolve) => setTimeout(resolve, 100))
    const left = a.links.current(b.id)!
    const right = b.links.current(a.id)!
    expect(closed(left)).toBe(false)
    expect(closed(right)).toBe(false)
    expect(await roundTrip(left, right, 'one session')).toBe('one session')
  })

  it('an idle session lives on its keep-alives; one whose path stops carrying bytes (no FIN) is closed on both ends', async () => {
    const timing = { keepAliveMs: 100, idleTimeoutMs: 600 }
    const a = await node(timing)
    const b = await node(timing)
    a.admit.add(b.id)
    // A relay between them that can stop forwarding without closing anything, as a dead path does.
    let carrying = true
    const relay = net.createServer((c) => {
      const u = net.connect(a.links.port, '127.0.0.1')
      for (const [from, to] of [[c, u], [u, c]] as const) {
        from.on('data', (d) => carrying && to.write(d))
        from.on('error', () => undefined)
      }
    })
    await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve))
    cleanups.push(() => new Promise((resolve) => relay.close(() => resolve())))
    const mux = await b.links.connect(a.id, [{ host: '127.0.0.1', port: (relay.address() as net.AddressInfo).port }])
    expect(mux).not.toBeNull()
    await expect.poll(() => a.links.current(b.id)).not.toBeNull()
    // Idle for twice the timeout: keep-alives hold it open.
    await new Promise((resolve) => setTimeout(resolve, 1200))
    expect(closed(mux!)).toBe(false)
    expect(await roundTrip(mux!, a.links.current(b.id)!, 'still here')).toBe('still here')
    // The path goes dead: both ends give up within the timeout, and the next connect dials anew.
    carrying = false
    await expect.poll(() => [b.links.current(a.id), a.links.current(b.id)], { timeout: 3000 }).toEqual([null, null])
    expect(closed(mux!)).toBe(true)
  })

  it('a closed session is dialled again', async () => {
    const a = await node()
    const b = await node()
    a.admit.add(b.id)
    const first = await b.links.connect(a.id, at(a))
    b.links.drop(a.id)
    await expect.poll(() => b.links.current(a.id)).toBeNull()
    const second = await b.links.connect(a.id, at(a))
    expect(second).not.toBeNull()
    expect(second).not.toBe(first)
  })
})
