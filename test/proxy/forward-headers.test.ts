import { describe, expect, it } from 'vitest'
import { forwardHead, forwardHeadBytes, type AddedLinesCache } from '../../src/proxy/forward-headers.js'
import { isRefusal, parseRequestHead, type RequestHead } from '../../src/proxy/request-head.js'
import { normalizeHost, sameTarget, targetKey } from '../../src/proxy/route.js'

/** A request head from header pairs, as a client would send it. */
function head(raw: string[], version = '1.1', requestLine = 'GET / HTTP/'): RequestHead {
  let text = `${requestLine}${version}\r\n`
  for (let i = 0; i < raw.length; i += 2) text += `${raw[i]}: ${raw[i + 1]}\r\n`
  const parsed = parseRequestHead(Buffer.from(text + '\r\n', 'latin1'), 0, text.length + 2, 16 * 1024)
  if (parsed === null || isRefusal(parsed)) throw new Error(`not a valid head: ${JSON.stringify(parsed)}`)
  return parsed
}

/** The forwarded head's header lines as [name, value] pairs (request line left out). */
function forwarded(h: RequestHead, hops = h.hops, proto = 'http', client = '10.1.2.3'): string[][] {
  const text = forwardHead(h, { hops, proto, client })
  expect(text.endsWith('\r\n\r\n')).toBe(true)
  return text
    .slice(0, -4)
    .split('\r\n')
    .slice(1)
    .map((line) => {
      const colon = line.indexOf(':')
      return [line.slice(0, colon), line.slice(colon + 1).trim()]
    })
}

describe('forwardHead', () => {
  it('gives the same bytes with a per-connection cache of the added lines, whatever the requests in turn', () => {
    const cache: AddedLinesCache = { text: '', bytes: Buffer.alloc(0) }
    const heads = [
      head(['Host', 'a.test']),
      head(['Host', 'a.test', 'Accept', '*/*']),
      head(['Host', 'b.test']),
      head(['Host', 'b.test', 'x-forwarded-for', '9.9.9.9', 'x-shoal-hops', '1']),
      head(['Host', 'a.test'], '1.0'),
      head(['Host', 'a.test'])
    ]
    for (const h of heads) {
      const opts = { hops: h.hops, proto: 'http', client: '10.0.0.1' }
      expect(forwardHeadBytes(h, opts, cache).toString('latin1')).toBe(forwardHead(h, opts))
    }
    expect(cache.text).toContain('x-forwarded-host: a.test')
  })

  it('keeps case and repeats, drops hop-by-hop and Connection-listed headers, adds X-Forwarded-*', () => {
    const out = forwarded(
      head(['Host', 'a.test', 'Connection', 'keep-alive, X-Secret', 'X-Secret', 's', 'Keep-Alive', 'timeout=5', 'Cookie', 'a=1', 'Cookie', 'b=2', 'TE', 'trailers', 'Accept', '*/*']),
      0,
      'https'
    )
    expect(out).toEqual([
      ['Host', 'a.test'],
      ['Cookie', 'a=1'],
      ['Cookie', 'b=2'],
      ['Accept', '*/*'],
      ['x-forwarded-for', '10.1.2.3'],
      ['x-forwarded-host', 'a.test'],
      ['x-forwarded-proto', 'https'],
      ['x-shoal-hops', '1']
    ])
  })

  it('keeps the request line and header bytes exactly, obs-text included', () => {
    const raw = Buffer.from('PATCH /a%20b?x=1 HTTP/1.1\r\nHost: a.test\r\nX-Name: caf\xe9  \r\n\r\n', 'latin1')
    const h = parseRequestHead(raw, 0, raw.length, 1024) as RequestHead
    const out = Buffer.from(forwardHead(h, { hops: 0, proto: 'http', client: '1.2.3.4' }), 'latin1')
    expect(out.subarray(0, raw.length - 2).equals(raw.subarray(0, raw.length - 2))).toBe(true)
  })

  it('does not trust client X-Forwarded-Host/-Proto, but keeps those set by an earlier Shoal front', () => {
    const spoofed = forwarded(head(['Host', 'a.test', 'X-Forwarded-Host', 'evil', 'X-Forwarded-Proto', 'https']))
    expect(spoofed.filter(([k]) => k.toLowerCase() === 'x-forwarded-host')).toEqual([['x-forwarded-host', 'a.test']])
    expect(spoofed.filter(([k]) => k.toLowerCase() === 'x-forwarded-proto')).toEqual([['x-forwarded-proto', 'http']])
    const relayed = forwarded(head(['Host', 'a.test', 'x-forwarded-host', 'orig.test', 'x-forwarded-proto', 'https', 'x-forwarded-for', '1.1.1.1', 'x-shoal-hops', '1']))
    expect(relayed).toEqual([
      ['Host', 'a.test'],
      ['x-forwarded-host', 'orig.test'],
      ['x-forwarded-proto', 'https'],
      ['x-forwarded-for', '1.1.1.1, 10.1.2.3'],
      ['x-shoal-hops', '2']
    ])
  })

  it('joins repeated X-Forwarded-For headers before adding the client', () => {
    const out = forwarded(head(['Host', 'a', 'X-Forwarded-For', '1.1.1.1', 'X-Forwarded-For', '2.2.2.2']))
    expect(out.filter(([k]) => k.toLowerCase() === 'x-forwarded-for')).toEqual([['x-forwarded-for', '1.1.1.1, 2.2.2.2, 10.1.2.3']])
  })

  it('keeps chunked framing for streamed bodies, Upgrade for WebSockets, and asks HTTP/1.0 upstreams to stay open', () => {
    expect(forwarded(head(['Host', 'a', 'Transfer-Encoding', 'chunked']))).toContainEqual(['transfer-encoding', 'chunked'])
    const ws = forwarded(head(['Host', 'a', 'Connection', 'Upgrade', 'Upgrade', 'websocket']))
    expect(ws).toContainEqual(['connection', 'Upgrade'])
    expect(ws).toContainEqual(['upgrade', 'websocket'])
    expect(ws.filter(([k]) => k === 'Connection' || k === 'Upgrade')).toEqual([])
    expect(forwarded(head(['Host', 'a'], '1.0'))).toContainEqual(['connection', 'keep-alive'])
  })
})

describe('route helpers', () => {
  it('normalizes hosts and names targets', () => {
    expect(normalizeHost('App.Example.COM:8080')).toBe('app.example.com')
    expect(normalizeHost('app.example.com.')).toBe('app.example.com')
    expect(normalizeHost('[::1]:80')).toBe('[::1]')
    expect(normalizeHost(undefined)).toBe('')
    expect(targetKey({ kind: 'direct', host: '10.0.0.1', port: 80 })).toBe('direct:10.0.0.1:80')
  })

  it('tells when two targets are the same far end', () => {
    const open = () => {
      throw new Error('unused')
    }
    expect(sameTarget({ kind: 'local', port: 1 }, { kind: 'local', port: 1 })).toBe(true)
    expect(sameTarget({ kind: 'local', port: 1 }, { kind: 'local', port: 2 })).toBe(false)
    expect(sameTarget({ kind: 'local', port: 1 }, { kind: 'direct', host: '127.0.0.1', port: 1 })).toBe(false)
    expect(sameTarget({ kind: 'direct', host: 'a', port: 1 }, { kind: 'direct', host: 'b', port: 1 })).toBe(false)
    expect(sameTarget({ kind: 'tunnel', key: 'n/http:a', open }, { kind: 'tunnel', key: 'n/http:a', open })).toBe(true)
    expect(sameTarget({ kind: 'tunnel', key: 'n/http:a', open }, { kind: 'tunnel', key: 'm/http:a', open })).toBe(false)
  })
})
