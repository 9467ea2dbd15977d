import { describe, expect, it } from 'vitest'
import { BodyFraming, ChunkedScanner, INVALID, MORE } from '../../src/proxy/body-framing.js'
import { feedPieces } from './helpers.js'

/** Feeds `pieces` in turn; returns where the body ended within the whole, or MORE / INVALID. */
function scan(framing: { feed(b: Uint8Array, s: number, e: number): number }, pieces: Buffer[]): number {
  return feedPieces(framing, pieces, MORE, INVALID)
}

const NEXT = 'GET /next HTTP/1.1\r\n\r\n'
const valid = [
  '0\r\n\r\n',
  '4\r\nabcd\r\n0\r\n\r\n',
  'A\r\n0123456789\r\n1\r\nx\r\n0\r\n\r\n',
  'a;name=value;x="q"\r\n0123456789\r\n0;end\r\n\r\n',
  '4\r\n\r\n\r\n\r\n0\r\n\r\n', // data that looks like framing
  '000004\r\nabcd\r\n0\r\nTrailer-A: 1\r\nTrailer-B: 2\r\n\r\n'
]

describe('ChunkedScanner', () => {
  it.each(valid)('finds the end of %j wherever the bytes are split', (body) => {
    const whole = Buffer.from(body + NEXT)
    expect(scan(new ChunkedScanner(), [whole])).toBe(body.length)
    for (let cut = 1; cut < whole.length; cut++) {
      expect(scan(new ChunkedScanner(), [whole.subarray(0, cut), whole.subarray(cut)]), `cut at ${cut}`).toBe(body.length)
    }
    const bytes = [...whole].map((b) => Buffer.from([b]))
    expect(scan(new ChunkedScanner(), bytes)).toBe(body.length)
  })

  it('wants more while the body is incomplete, at every cut', () => {
    const body = '5\r\nhello\r\n0\r\nX: y\r\n\r\n'
    for (let cut = 0; cut < body.length; cut++) expect(scan(new ChunkedScanner(), [Buffer.from(body.slice(0, cut))])).toBe(MORE)
  })

  const broken: Array<[string, string]> = [
    ['no size', '\r\nabc\r\n0\r\n\r\n'],
    ['not hex', 'g\r\nabc\r\n0\r\n\r\n'],
    ['space after size', '4 \r\nabcd\r\n0\r\n\r\n'],
    ['negative', '-4\r\nabcd\r\n0\r\n\r\n'],
    ['data longer than size', '2\r\nabcd\r\n0\r\n\r\n'],
    ['data without CRLF', '4\r\nabcdXY0\r\n\r\n'],
    ['bare LF after size', '4\nabcd\r\n0\r\n\r\n'],
    ['huge size', 'fffffffffffffffff\r\n'],
    ['folded trailer', '0\r\n folded\r\n\r\n'],
    ['bad end', '0\r\n\rX']
  ]
  it.each(broken)('refuses %s', (_name, body) => {
    const s = new ChunkedScanner()
    expect(scan(s, [Buffer.from(body)])).toBe(INVALID)
    expect(s.error).not.toBe('')
  })
})

describe('BodyFraming', () => {
  it('counts a Content-Length body across pieces and stops at its end', () => {
    const whole = Buffer.from('0123456789' + NEXT)
    for (let cut = 1; cut < whole.length; cut++) {
      expect(scan(new BodyFraming(10, false), [whole.subarray(0, cut), whole.subarray(cut)])).toBe(10)
    }
    expect(scan(new BodyFraming(10, false), [Buffer.from('01234')])).toBe(MORE)
  })

  it('runs to the close when neither length nor chunked is known', () => {
    const f = new BodyFraming(-1, false)
    expect(f.untilClose).toBe(true)
    expect(scan(f, [Buffer.from('anything'), Buffer.from(NEXT)])).toBe(MORE)
    expect(new BodyFraming(-1, true).untilClose).toBe(false)
  })
})
