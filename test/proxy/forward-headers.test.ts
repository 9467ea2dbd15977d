import type { IncomingMessage } from 'node:http'
import { describe, expect, it } from 'vitest'
import { forwardHeaders, hopsOf, responseHeaders, smugglingReason } from '../../src/proxy/forward-headers.js'
import { normalizeHost, targetKey } from '../../src/proxy/route.js'

/** Just enough of an IncomingMessage: raw headers, and the lower-cased joined view Node builds. */
function fakeReq(raw: string[], version = '1.1', remote = '10.1.2.3'): IncomingMessage {
  const headers: Record<string, string> = {}
  for (let i = 0; i < raw.length; i += 2) {
    const k = raw[i].toLowerCase()
    headers[k] = headers[k] === undefined ? raw[i + 1] : `${headers[k]}, ${raw[i + 1]}`
  }
  const [major, minor] = version.split('.').map(Number)
  return { rawHeaders: raw, headers, httpVersionMajor: major, httpVersionMinor: minor, socket: { remoteAddress: remote } } as unknown as IncomingMessage
}

const pairs = (flat: string[]) => Array.from({ length: flat.length / 2 }, (_, i) => [flat[2 * i], flat[2 * i + 1]])

describe('forwardHeaders', () => {
  it('keeps case and repeats, drops hop-by-hop and Connection-listed headers, adds X-Forwarded-*', () => {
    const out = pairs(
      forwardHeaders(
        fakeReq(['Host', 'a.test', 'Connection', 'keep-alive, X-Secret', 'X-Secret', 's', 'Keep-Alive', 'timeout=5', 'Cookie', 'a=1', 'Cookie', 'b=2', 'TE', 'trailers', 'Accept', '*/*']),
        { hops: 0, proto: 'https' }
      )
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

  it('does not trust client X-Forwarded-Host/-Proto, but keeps those set by an earlier Shoal front', () => {
    const spoofed = pairs(forwardHeaders(fakeReq(['Host', 'a.test', 'X-Forwarded-Host', 'evil', 'X-Forwarded-Proto', 'https']), { hops: 0, proto: 'http' }))
    expect(spoofed.filter(([k]) => k.toLowerCase() === 'x-forwarded-host')).toEqual([['x-forwarded-host', 'a.test']])
    expect(spoofed.filter(([k]) => k.toLowerCase() === 'x-forwarded-proto')).toEqual([['x-forwarded-proto', 'http']])
    const relayed = pairs(
      forwardHeaders(fakeReq(['Host', 'a.test', 'x-forwarded-host', 'orig.test', 'x-forwarded-proto', 'https', 'x-forwarded-for', '1.1.1.1', 'x-shoal-hops', '1']), { hops: 1, proto: 'http' })
    )
    expect(relayed).toEqual([
      ['Host', 'a.test'],
      ['x-forwarded-host', 'orig.test'],
      ['x-forwarded-proto', 'https'],
      ['x-forwarded-for', '1.1.1.1, 10.1.2.3'],
      ['x-shoal-hops', '2']
    ])
  })

  it('keeps chunked framing for streamed bodies and Upgrade for WebSockets', () => {
    const chunked = pairs(forwardHeaders(fakeReq(['Host', 'a', 'Transfer-Encoding', 'chunked']), { hops: 0, proto: 'http' }))
    expect(chunked).toContainEqual(['transfer-encoding', 'chunked'])
    const ws = pairs(forwardHeaders(fakeReq(['Host', 'a', 'Connection', 'Upgrade', 'Upgrade', 'websocket']), { hops: 0, proto: 'http', upgrade: true }))
    expect(ws).toContainEqual(['connection', 'Upgrade'])
    expect(ws).toContainEqual(['upgrade', 'websocket'])
  })
})

describe('request checks', () => {
  it('finds smuggling attempts Node lets through', () => {
    expect(smugglingReason(fakeReq(['Transfer-Encoding', 'gzip, chunked']))).toMatch(/unsupported/)
    expect(smugglingReason(fakeReq(['Transfer-Encoding', 'chunked'], '1.0'))).toMatch(/HTTP\/1\.0/)
    expect(smugglingReason(fakeReq(['Transfer-Encoding', 'chunked', 'Content-Length', '3']))).toMatch(/both/)
    expect(smugglingReason(fakeReq(['Transfer-Encoding', 'Chunked']))).toBeNull()
    expect(smugglingReason(fakeReq(['Content-Length', '3']))).toBeNull()
  })

  it('reads the hop counter, refusing junk', () => {
    expect(hopsOf(fakeReq([]))).toBe(0)
    expect(hopsOf(fakeReq(['x-shoal-hops', '3']))).toBe(3)
    expect(hopsOf(fakeReq(['x-shoal-hops', '-1']))).toBeNaN()
    expect(hopsOf(fakeReq(['x-shoal-hops', '1', 'x-shoal-hops', '2']))).toBeNaN()
  })

  it('normalizes hosts and names targets', () => {
    expect(normalizeHost('App.Example.COM:8080')).toBe('app.example.com')
    expect(normalizeHost('app.example.com.')).toBe('app.example.com')
    expect(normalizeHost('[::1]:80')).toBe('[::1]')
    expect(normalizeHost(undefined)).toBe('')
    expect(targetKey({ kind: 'direct', host: '10.0.0.1', port: 80 })).toBe('direct:10.0.0.1:80')
  })
})

describe('responseHeaders', () => {
  it('relays repeated Set-Cookie and drops hop-by-hop ones', () => {
    expect(responseHeaders(['Set-Cookie', 'a=1', 'Connection', 'close, X-Internal', 'X-Internal', '1', 'Transfer-Encoding', 'chunked', 'Set-Cookie', 'b=2'])).toEqual([
      'Set-Cookie',
      'a=1',
      'Set-Cookie',
      'b=2'
    ])
  })
})
