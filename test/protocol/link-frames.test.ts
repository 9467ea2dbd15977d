import { describe, expect, it } from 'vitest'
import { LINK_HEADER_BYTES, LinkFrameReader, MAX_LINK_MESSAGE, writeLinkHeader } from '../../src/protocol/link-frames.js'
import { linkAccepted, linkRefusal, linkRequest, linkTarget, readLinkAnswer } from '../../src/protocol/link-handshake.js'

/** Each message tagged with its index. */
function framed(messages: Buffer[]): Buffer {
  return Buffer.concat(
    messages.flatMap((m, i) => {
      const h = Buffer.alloc(LINK_HEADER_BYTES)
      writeLinkHeader(h, 0, i, m.length)
      return [h, m]
    })
  )
}

describe('front link framing', () => {
  const messages = [Buffer.from('a'), Buffer.alloc(0), Buffer.alloc(70_000, 7), Buffer.from('last message')]
  const wire = framed(messages)

  it('gives back each message whole, however the bytes are cut', () => {
    for (const cut of [1, 2, 3, 4, 5, 7, 1000, 65_536, wire.length]) {
      const got: string[] = []
      const reader = new LinkFrameReader((tag, m) => got.push(`${tag}:${m.toString('hex')}`))
      for (let i = 0; i < wire.length; i += cut) reader.push(wire.subarray(i, i + cut))
      expect(got, `cut every ${cut} bytes`).toEqual(messages.map((m, i) => `${i}:${m.toString('hex')}`))
      expect(reader.buffered).toBe(0)
    }
  })

  it('holds a partial message until the rest arrives', () => {
    const got: Buffer[] = []
    const reader = new LinkFrameReader((_tag, m) => got.push(Buffer.from(m)))
    reader.push(wire.subarray(0, 14))
    expect(got.map(String)).toEqual(['a', ''])
    expect(reader.buffered).toBe(14 - 6 - 5)
  })

  it('refuses a length over the limit, or a message without a tag, with BAD_FRAME before reading on', () => {
    for (const length of [MAX_LINK_MESSAGE + 1, 0]) {
      const reader = new LinkFrameReader(() => {})
      const header = Buffer.alloc(4)
      header.writeUInt32LE(length)
      expect(() => reader.push(header)).toThrow(expect.objectContaining({ code: 'BAD_FRAME' }))
    }
  })
})

const NODE_A = 'a'.repeat(64)
const NODE_B = 'b'.repeat(64)

describe('front link handshake', () => {
  it('reads an accepting answer from the node it asked for and keeps the bytes after it', () => {
    const after = framed([Buffer.from('hello')])
    const answer = readLinkAnswer(Buffer.concat([linkAccepted(NODE_A), after]), NODE_A)
    expect(answer).toEqual({ accepted: true, rest: after })
  })

  it('waits for a whole head', () => {
    const accepted = linkAccepted(NODE_A)
    expect(readLinkAnswer(accepted.subarray(0, accepted.length - 1), NODE_A)).toBe('more')
  })

  it('refuses a link taken by another node, or by one that does not say which it is', () => {
    expect(readLinkAnswer(linkAccepted(NODE_B), NODE_A)).toEqual({ accepted: false, reason: `answered as node ${'b'.repeat(12)}, not ${'a'.repeat(12)}` })
    const anonymous = Buffer.from('HTTP/1.1 101 Switching Protocols\r\nconnection: upgrade\r\nupgrade: shoal-link/1\r\n\r\n')
    expect(readLinkAnswer(anonymous, NODE_A)).toEqual({ accepted: false, reason: 'the answer does not say which node it is' })
  })

  it('treats any other answer as a refusal, naming its status line', () => {
    const notFound = Buffer.from('HTTP/1.1 404 Not Found\r\ncontent-length: 3\r\n\r\nno\n')
    expect(readLinkAnswer(notFound, NODE_A)).toEqual({ accepted: false, reason: 'HTTP/1.1 404 Not Found' })
    expect(readLinkAnswer(linkRefusal('421 Misdirected Request', 'wrong node'), NODE_A)).toEqual({ accepted: false, reason: 'HTTP/1.1 421 Misdirected Request' })
    const otherUpgrade = Buffer.from(`HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nshoal-node: ${NODE_A}\r\n\r\n`)
    expect(readLinkAnswer(otherUpgrade, NODE_A)).toMatchObject({ accepted: false })
    expect(readLinkAnswer(Buffer.alloc(5000, 'x'), NODE_A)).toMatchObject({ accepted: false, reason: 'answer head too long' })
  })

  it('asks with a request any HTTP/1.1 server can parse, naming the node it is for', () => {
    const text = linkRequest(NODE_A).toString('latin1')
    expect(text).toMatch(new RegExp(`^GET /\\.shoal/link/${NODE_A} HTTP/1\\.1\r\n`))
    expect(text).toContain('upgrade: shoal-link/1\r\n')
    expect(text.endsWith('\r\n\r\n')).toBe(true)
    expect(linkTarget(`/.shoal/link/${NODE_A}`)).toBe(NODE_A)
    expect(linkTarget('/.shoal/link/')).toBeNull()
    expect(linkTarget(`/.shoal/link/${NODE_A}/x`)).toBeNull()
    expect(linkTarget('/other')).toBeNull()
  })
})
