import { describe, expect, it } from 'vitest'
import { hasBody, isRefusal, parseRequestHead, type HeadRefusal, type RequestHead } from '../../src/proxy/request-head.js'

const MAX = 4096

function parse(text: string, max = MAX): RequestHead | HeadRefusal | null {
  const buf = Buffer.from(text, 'latin1')
  return parseRequestHead(buf, 0, buf.length, max)
}

function ok(text: string): RequestHead {
  const r = parse(text)
  if (r === null || isRefusal(r)) throw new Error(`${JSON.stringify(text)} → ${JSON.stringify(r)}`)
  return r
}

describe('parseRequestHead', () => {
  it('reads method, target, version, Host and framing', () => {
    const h = ok('POST /up?x=1 HTTP/1.1\r\nHost: A.test:8080\r\nContent-Length: 12\r\nX-Other: y\r\n\r\nbody follows')
    expect([h.method, h.url, h.minor, h.host, h.contentLength, h.chunked, h.keepAlive, h.upgrade, h.hops]).toEqual(['POST', '/up?x=1', 1, 'A.test:8080', 12, false, true, '', 0])
    expect(h.size).toBe('POST /up?x=1 HTTP/1.1\r\nHost: A.test:8080\r\nContent-Length: 12\r\nX-Other: y\r\n\r\n'.length)
    expect(hasBody(h)).toBe(true)
    expect(h.dropsLines).toBe(false)
    expect(ok('GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n').chunked).toBe(true)
    expect(hasBody(ok('GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n'))).toBe(false)
  })

  it('reads header names in any case, and only names that match exactly', () => {
    const text = 'GET / HTTP/1.1\r\nHOST: a\r\nCONTENT-length:\t3 \r\nX-Forwarded-Fox: 1\r\nx-FORWARDED-for: 9.9.9.9\r\nHostx: b\r\n\r\n'
    const h = ok(text)
    expect([h.host, h.contentLength, h.forwardedFor]).toEqual(['a', 3, '9.9.9.9'])
    // The one dropped line is X-Forwarded-For, by its offsets in the head's bytes.
    const start = text.indexOf('x-FORWARDED-for')
    expect(h.droppedLines).toEqual([start, text.indexOf('Hostx'), 0])
    expect(h.bytes.toString('latin1')).toBe(text.slice(0, -2))
  })

  it('answers null until the blank line arrives, at every cut', () => {
    const full = 'GET /x HTTP/1.1\r\nHost: a.test\r\nAccept: */*\r\n\r\n'
    for (let cut = 0; cut < full.length; cut++) expect(parse(full.slice(0, cut)), `cut at ${cut}`).toBeNull()
    expect(ok(full).url).toBe('/x')
  })

  it('skips empty lines before the request line', () => {
    const h = ok('\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n')
    expect(h.method).toBe('GET')
    expect(h.size).toBe('\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n'.length)
  })

  it('tells keep-alive, close and upgrade from Connection and the version', () => {
    expect(ok('GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n').keepAlive).toBe(false)
    expect(ok('GET / HTTP/1.0\r\n\r\n').keepAlive).toBe(false)
    expect(ok('GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n').keepAlive).toBe(true)
    expect(ok('GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, close\r\n\r\n').keepAlive).toBe(false)
    const ws = ok('GET /chat HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, Upgrade\r\nUpgrade: websocket\r\n\r\n')
    expect(ws.upgrade).toBe('websocket')
    expect(ok('GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n\r\n').upgrade).toBe('')
    const listed = ok('GET / HTTP/1.1\r\nHost: a\r\nConnection: X-Secret\r\nX-Secret: 1\r\n\r\n')
    expect([...(listed.connectionListed ?? [])]).toEqual(['x-secret'])
    expect(listed.dropsLines).toBe(true)
  })

  it('reads the hop counter, refusing junk', () => {
    expect(ok('GET / HTTP/1.1\r\nHost: a\r\n\r\n').hops).toBe(0)
    expect(ok('GET / HTTP/1.1\r\nHost: a\r\nX-Shoal-Hops: 3\r\n\r\n').hops).toBe(3)
    expect(ok('GET / HTTP/1.1\r\nHost: a\r\nx-shoal-hops: -1\r\n\r\n').hops).toBeNaN()
    expect(ok('GET / HTTP/1.1\r\nHost: a\r\nx-shoal-hops: 1000\r\n\r\n').hops).toBeNaN()
    expect(ok('GET / HTTP/1.1\r\nHost: a\r\nx-shoal-hops: 1\r\nx-shoal-hops: 2\r\n\r\n').hops).toBeNaN()
  })

  const refused: Array<[string, string, RegExp]> = [
    ['CL and TE', 'POST / HTTP/1.1\r\nHost: v\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n', /both/],
    ['TE and CL', 'POST / HTTP/1.1\r\nHost: v\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n', /both/],
    ['two CL, different', 'POST / HTTP/1.1\r\nHost: v\r\nContent-Length: 4\r\nContent-Length: 40\r\n\r\n', /Content-Length/],
    ['two CL, same', 'POST / HTTP/1.1\r\nHost: v\r\nContent-Length: 4\r\nContent-Length: 4\r\n\r\n', /Content-Length/],
    ['CL list', 'POST / HTTP/1.1\r\nHost: v\r\nContent-Length: 4, 4\r\n\r\n', /Content-Length/],
    ['CL sign', 'POST / HTTP/1.1\r\nHost: v\r\nContent-Length: +4\r\n\r\n', /Content-Length/],
    ['CL hex', 'POST / HTTP/1.1\r\nHost: v\r\nContent-Length: 0x10\r\n\r\n', /Content-Length/],
    ['CL empty', 'POST / HTTP/1.1\r\nHost: v\r\nContent-Length: \r\n\r\n', /Content-Length/],
    ['TE stacked', 'POST / HTTP/1.1\r\nHost: v\r\nTransfer-Encoding: gzip, chunked\r\n\r\n', /unsupported/],
    ['TE repeated', 'POST / HTTP/1.1\r\nHost: v\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n', /unsupported/],
    ['TE not chunked', 'POST / HTTP/1.1\r\nHost: v\r\nTransfer-Encoding: identity\r\n\r\n', /unsupported/],
    ['TE in HTTP/1.0', 'POST / HTTP/1.0\r\nHost: v\r\nTransfer-Encoding: chunked\r\n\r\n', /HTTP\/1\.0/],
    ['space before colon', 'POST / HTTP/1.1\r\nHost: v\r\nTransfer-Encoding : chunked\r\n\r\n', /header name/],
    ['obs-fold', 'GET / HTTP/1.1\r\nHost: v\r\nX-A: 1\r\n  continued\r\n\r\n', /folding/],
    ['no colon', 'GET / HTTP/1.1\r\nHost: v\r\nX-A\r\n\r\n', /colon/],
    ['empty name', 'GET / HTTP/1.1\r\nHost: v\r\n: x\r\n\r\n', /header name/],
    ['bare CR', 'GET / HTTP/1.1\r\nHost: v\r\nX-A: 1\r2\r\n\r\n', /bare CR/],
    ['bare LF in a line', 'GET / HTTP/1.1\r\nHost: v\nX-A: 1\r\n\r\n', /bare/],
    ['bare LF head', 'GET / HTTP/1.1\nHost: v\n\n', /bare LF/],
    ['NUL in value', 'GET / HTTP/1.1\r\nHost: v\r\nX-A: a\x00b\r\n\r\n', /control/],
    ['no Host in 1.1', 'GET / HTTP/1.1\r\nX-A: 1\r\n\r\n', /Host/],
    ['two Hosts', 'GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n', /Host/],
    ['HTTP/2.0', 'GET / HTTP/2.0\r\nHost: a\r\n\r\n', /version/],
    ['lower-case version', 'GET / http/1.1\r\nHost: a\r\n\r\n', /version/],
    ['space in target', 'GET /a b HTTP/1.1\r\nHost: a\r\n\r\n', /request line|version/],
    ['no target', 'GET  HTTP/1.1\r\nHost: a\r\n\r\n', /request line/],
    ['bad method', 'G(T / HTTP/1.1\r\nHost: a\r\n\r\n', /request line/],
    ['CONNECT', 'CONNECT a:443 HTTP/1.1\r\nHost: a\r\n\r\n', /CONNECT/]
  ]
  it.each(refused)('refuses %s with 400', (_name, text, reason) => {
    const r = parse(text)
    expect(r).not.toBeNull()
    expect(isRefusal(r!)).toBe(true)
    expect((r as HeadRefusal).status).toBe(400)
    expect((r as HeadRefusal).reason).toMatch(reason)
  })

  it('refuses heads over the size limit with 431, complete or not', () => {
    const big = `GET / HTTP/1.1\r\nHost: a\r\nX-Big: ${'a'.repeat(MAX)}\r\n`
    expect((parse(big) as HeadRefusal).status).toBe(431)
    expect((parse(big + '\r\n') as HeadRefusal).status).toBe(431)
    const fits = `GET / HTTP/1.1\r\nHost: a\r\nX-Big: ${'a'.repeat(100)}\r\n\r\n`
    expect(isRefusal(parse(fits, fits.length)!)).toBe(false)
    expect((parse(fits, fits.length - 1) as HeadRefusal).status).toBe(431)
  })

  it('reads a head at an offset, as for pipelined requests', () => {
    const two = Buffer.from('GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: b\r\n\r\n')
    const first = parseRequestHead(two, 0, two.length, MAX) as RequestHead
    const second = parseRequestHead(two, first.size, two.length, MAX) as RequestHead
    expect([first.url, first.host, second.url, second.host]).toEqual(['/1', 'a', '/2', 'b'])
    expect(first.size + second.size).toBe(two.length)
  })
})
