import { describe, expect, it } from 'vitest'
import { INVALID, MORE } from '../../src/proxy/body-framing.js'
import { ResponseFraming } from '../../src/proxy/response-framing.js'
import { feedPieces } from './helpers.js'

interface Case {
  name: string
  response: string
  head?: boolean
  /** Bytes after the response that must not be counted as part of it. */
  after?: string
  status: number
  closeAfter?: boolean
  upgraded?: boolean
}

const cases: Case[] = [
  { name: 'Content-Length', response: 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: keep-alive\r\n\r\nhello', after: 'junk', status: 200 },
  { name: 'chunked', response: 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n', after: 'junk', status: 200 },
  { name: 'chunked wins over Content-Length', response: 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n', status: 200 },
  { name: 'HEAD: headers only', response: 'HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\n', head: true, after: 'junk', status: 200 },
  { name: '204', response: 'HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\n', after: 'junk', status: 204 },
  { name: '304', response: 'HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n', after: '0\r\n\r\n', status: 304 },
  { name: 'no reason phrase', response: 'HTTP/1.1 200\r\nContent-Length: 1\r\n\r\nx', after: 'y', status: 200 },
  { name: 'empty body', response: 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n', after: 'x', status: 200 },
  { name: '100 Continue, then the answer', response: 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok', status: 201 },
  { name: 'two interim responses', response: 'HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx', status: 200 },
  { name: 'Connection: close', response: 'HTTP/1.1 200 OK\r\nContent-Length: 1\r\nConnection: Close\r\n\r\nx', status: 200, closeAfter: true },
  { name: 'HTTP/1.0 without keep-alive', response: 'HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\nx', status: 200, closeAfter: true },
  { name: 'HTTP/1.0 keep-alive', response: 'HTTP/1.0 200 OK\r\nContent-Length: 1\r\nConnection: keep-alive\r\n\r\nx', status: 200 },
  { name: 'names in any case, values between spaces', response: 'HTTP/1.1 200 OK\r\nCONTENT-length: \t3 \r\ncOnNeCtIoN:  Close \r\n\r\nabc', after: 'x', status: 200, closeAfter: true },
  { name: 'the same Content-Length twice', response: 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok', after: 'x', status: 200 },
  { name: 'names that only look alike are not framing', response: 'HTTP/1.1 200 OK\r\nContent-Lengtz: 9\r\nContent-Length: 1\r\nConnectiom: close\r\n\r\nx', after: 'y', status: 200 },
  { name: '101', response: 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n', after: '\x81\x05hello', status: 101, upgraded: true }
]

function run(c: Case, pieces: Buffer[], framing = new ResponseFraming('timeout=5')): number {
  framing.begin(c.head ?? false)
  return feedPieces(framing, pieces, MORE, INVALID)
}

describe('ResponseFraming', () => {
  it.each(cases)('finds the end of a response: $name, wherever it is split', (c) => {
    const whole = Buffer.from(c.response + (c.after ?? ''), 'latin1')
    const framing = new ResponseFraming('timeout=5')
    expect(run(c, [whole], framing)).toBe(c.response.length)
    expect(framing.status).toBe(c.status)
    expect(framing.closeAfter).toBe(c.closeAfter ?? false)
    expect(framing.upgraded).toBe(c.upgraded ?? false)
    for (let cut = 1; cut < whole.length; cut++) {
      expect(run(c, [whole.subarray(0, cut), whole.subarray(cut)]), `cut at ${cut}`).toBe(c.response.length)
    }
    for (let cut = 0; cut < c.response.length; cut++) expect(run(c, [whole.subarray(0, cut)]), `only ${cut} bytes`).toBe(MORE)
  })

  it('waits for the close when a body has neither length nor chunked framing', () => {
    const f = new ResponseFraming('timeout=5')
    f.begin(false)
    expect(f.feed(Buffer.from('HTTP/1.1 200 OK\r\n\r\nsome'), 0, 23)).toBe(MORE)
    expect(f.feed(Buffer.from(' more'), 0, 5)).toBe(MORE)
    expect(f.untilClose).toBe(true)
    expect(f.closeAfter).toBe(true)
    const te = new ResponseFraming('timeout=5')
    te.begin(false)
    expect(te.feed(Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nx'), 0, 45)).toBe(MORE)
    expect(te.untilClose).toBe(true)
  })

  it('is reused for the next response on the connection', () => {
    const f = new ResponseFraming('timeout=5')
    const one = Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\n\r\n')
    f.begin(false)
    expect(f.feed(one, 0, one.length)).toBe(one.length)
    expect(f.done).toBe(true)
    f.begin(true)
    const two = Buffer.from('HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\n\r\n')
    expect(f.feed(two, 0, two.length)).toBe(two.length)
    expect(f.status).toBe(404)
  })

  it("says where to put the front's Keep-Alive hint, and leaves a matching one alone", () => {
    const relayed = (response: string, pieces = 1): string => {
      const f = new ResponseFraming('timeout=5')
      f.begin(false)
      const whole = Buffer.from(response, 'latin1')
      const cut = pieces === 1 ? whole.length : whole.indexOf('\r\n') + 2
      let out = ''
      for (const p of [whole.subarray(0, cut), whole.subarray(cut)]) {
        if (p.length === 0) continue
        const r = f.feed(p, 0, p.length)
        const end = r === MORE ? p.length : r
        if (f.spliceAt < 0) out += p.toString('latin1', 0, end)
        else out += p.toString('latin1', 0, f.spliceAt) + f.spliceText + p.toString('latin1', f.spliceEnd, end)
        f.spliceAt = -1
      }
      return out
    }
    expect(relayed('HTTP/1.1 200 OK\r\nKeep-Alive: timeout=60\r\nContent-Length: 1\r\n\r\nx')).toBe('HTTP/1.1 200 OK\r\nKeep-Alive: timeout=5\r\nContent-Length: 1\r\n\r\nx')
    expect(relayed('HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx')).toBe('HTTP/1.1 200 OK\r\nContent-Length: 1\r\nKeep-Alive: timeout=5\r\n\r\nx')
    expect(relayed('HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx', 2)).toBe('HTTP/1.1 200 OK\r\nContent-Length: 1\r\nKeep-Alive: timeout=5\r\n\r\nx')
    const same = 'HTTP/1.1 200 OK\r\nkeep-alive: timeout=5\r\nContent-Length: 1\r\n\r\nx'
    expect(relayed(same)).toBe(same)
    const spaced = 'HTTP/1.1 200 OK\r\nKEEP-ALIVE:\t timeout=5  \r\nContent-Length: 1\r\n\r\nx'
    expect(relayed(spaced)).toBe(spaced)
    expect(relayed('HTTP/1.1 200 OK\r\nKeep-Alive: timeout=50\r\nContent-Length: 1\r\n\r\nx')).toBe('HTTP/1.1 200 OK\r\nKeep-Alive: timeout=5\r\nContent-Length: 1\r\n\r\nx')
    const closing = 'HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\nx'
    expect(relayed(closing)).toBe(closing)
    const interim = 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n'
    expect(relayed(interim)).toBe('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\nKeep-Alive: timeout=5\r\n\r\n')
  })

  const broken: Array<[string, string]> = [
    ['not HTTP', 'SSH-2.0-OpenSSH\r\n\r\n'],
    ['bad status', 'HTTP/1.1 20 OK\r\n\r\n'],
    ['status too long', 'HTTP/1.1 2000 OK\r\n\r\n'],
    ['HTTP/2', 'HTTP/2 200 OK\r\n\r\n'],
    ['conflicting lengths', 'HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n'],
    ['bad length', 'HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n'],
    ['two numbers as a length', 'HTTP/1.1 200 OK\r\nContent-Length: 1 2\r\n\r\n'],
    ['an empty length', 'HTTP/1.1 200 OK\r\nContent-Length: \r\n\r\n'],
    ['bad chunk', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'],
    ['header without colon', 'HTTP/1.1 200 OK\r\nNope\r\n\r\n']
  ]
  it.each(broken)('refuses %s', (_name, response) => {
    const f = new ResponseFraming('timeout=5')
    f.begin(false)
    expect(f.feed(Buffer.from(response), 0, response.length)).toBe(INVALID)
    expect(f.error).not.toBe('')
  })
})
