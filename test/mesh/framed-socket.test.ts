import net from 'node:net'
import { describe, expect, it, onTestFinished } from 'vitest'
import { FramedSocket, LINK_HIGH_WATER } from '../../src/mesh/framed-socket.js'
import { until } from '../proxy/helpers.js'

/** Two framed ends of one loopback TCP connection. */
async function pair(): Promise<{ a: FramedSocket; b: FramedSocket; raw: net.Socket }> {
  const server = net.createServer()
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const accepted = new Promise<net.Socket>((r) => server.once('connection', r))
  const raw = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1')
  const other = await accepted
  onTestFinished(() => {
    raw.destroy()
    other.destroy()
    server.close()
  })
  return { a: new FramedSocket(raw), b: new FramedSocket(other), raw }
}

describe('FramedSocket', () => {
  it('delivers messages whole, tagged and in order, and writes those of one turn in one go', async () => {
    const { a, b, raw } = await pair()
    const writes: number[] = []
    const write = raw.write.bind(raw)
    raw.write = ((chunk: Buffer, ...rest: never[]) => {
      writes.push(chunk.length)
      return write(chunk, ...rest)
    }) as typeof raw.write
    const got: string[] = []
    b.on('message', (tag: number, m: Buffer) => got.push(`${tag} ${m}`))
    for (let i = 0; i < 100; i++) expect(a.send(i % 5, Buffer.from(`message ${i}`))).toBe(true)
    await until(() => got.length === 100)
    expect(got).toEqual(Array.from({ length: 100 }, (_, i) => `${i % 5} message ${i}`))
    expect(writes).toHaveLength(1)
    // A large body is written as it is, in order with the small ones around it.
    a.send(6, Buffer.from('before'))
    a.send(7, Buffer.alloc(100_000, 'x'))
    a.send(8, Buffer.from('after'))
    await until(() => got.length === 103)
    expect(got.slice(100).map((m) => m.slice(0, 8))).toEqual(['6 before', '7 xxxxxx', '8 after'])
    expect(got[101]!.length).toBe(2 + 100_000)
  })

  it('asks the writer to wait when the peer does not read, and says when to go on', async () => {
    const { a, b } = await pair()
    b.socket.pause()
    const big = Buffer.alloc(256 * 1024)
    let written = 0
    while (a.send(1, big)) written += big.length
    expect(written).toBeLessThan(LINK_HIGH_WATER + 4 * 1024 * 1024)
    let drained = false
    a.once('drain', () => (drained = true))
    let read = 0
    b.on('message', (_tag: number, m: Buffer) => (read += m.length))
    b.socket.resume()
    await until(() => drained)
    await until(() => read === written + big.length)
  })

  it('closes on a message over the limit and says why', async () => {
    const { raw, b } = await pair()
    const errors: Error[] = []
    b.on('error', (e: Error) => errors.push(e))
    let closed = false
    b.on('close', () => (closed = true))
    raw.write(Buffer.from([0xff, 0xff, 0xff, 0x7f]))
    await until(() => closed)
    expect(errors.map((e) => (e as { code?: string }).code)).toEqual(['BAD_FRAME'])
  })

  it('sends what is queued before its FIN', async () => {
    const { a, b } = await pair()
    const got: string[] = []
    b.on('message', (_tag: number, m: Buffer) => got.push(m.toString()))
    let ended = false
    b.on('end', () => (ended = true))
    a.send(0, Buffer.from('one'))
    a.send(0, Buffer.from('two'))
    a.end()
    await until(() => ended)
    expect(got).toEqual(['one', 'two'])
  })
})
