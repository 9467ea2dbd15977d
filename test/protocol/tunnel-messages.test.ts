import { describe, expect, it } from 'vitest'
import { ShoalError } from '../../src/core/errors.js'
import {
  MAX_APP_NAME,
  MAX_TUNNEL_DATA,
  TUNNEL_MESSAGES,
  decodeTunnel,
  encodeTunnel
} from '../../src/protocol/tunnel-messages.js'

describe('tunnel messages', () => {
  it('open round-trips byte-exactly', () => {
    const buf = encodeTunnel('open', { id: 300, app: 'counter' })
    expect(buf.toString('hex')).toBe('00' + 'fd2c01' + '07' + Buffer.from('counter').toString('hex'))
    expect(decodeTunnel('open', buf)).toEqual({ id: 300, app: 'counter' })
  })

  it('data round-trips byte-exactly', () => {
    const buf = encodeTunnel('data', { opener: true, id: 5, data: Buffer.from('abc') })
    expect(buf.toString('hex')).toBe('01' + '05' + '03' + '616263')
    const back = decodeTunnel('data', buf)
    expect(back.opener).toBe(true)
    expect(back.id).toBe(5)
    expect(Buffer.from(back.data).toString()).toBe('abc')
    expect(encodeTunnel('data', back).equals(buf)).toBe(true)
  })

  it('credit and end round-trip byte-exactly', () => {
    const credit = encodeTunnel('credit', { opener: false, id: 2, bytes: 65536 })
    expect(credit.toString('hex')).toBe('00' + '02' + 'fe00000100')
    expect(decodeTunnel('credit', credit)).toEqual({ opener: false, id: 2, bytes: 65536 })
    const end = encodeTunnel('end', { opener: true, id: 9 })
    expect(end.toString('hex')).toBe('0109')
    expect(decodeTunnel('end', end)).toEqual({ opener: true, id: 9 })
  })

  it('reset round-trips with and without its optional fields', () => {
    const bare = encodeTunnel('reset', { opener: false, id: 1 })
    expect(bare.toString('hex')).toBe('0001')
    expect(decodeTunnel('reset', bare)).toEqual({ opener: false, id: 1 })
    const full = { opener: true, id: 1, code: 'UNKNOWN_APP', message: 'no app "x" here' }
    const buf = encodeTunnel('reset', full)
    expect(buf[0]).toBe(1 | 2 | 4)
    expect(decodeTunnel('reset', buf)).toEqual(full)
    const onlyMessage = { opener: false, id: 7, message: 'gone' }
    expect(decodeTunnel('reset', encodeTunnel('reset', onlyMessage))).toEqual(onlyMessage)
  })

  it('refuses oversized data, long names, truncation and trailing bytes', () => {
    const big = encodeTunnel('data', { opener: false, id: 1, data: Buffer.alloc(MAX_TUNNEL_DATA + 1) })
    expect(() => decodeTunnel('data', big)).toThrow(ShoalError)
    const long = encodeTunnel('open', { id: 1, app: 'x'.repeat(MAX_APP_NAME + 1) })
    expect(() => decodeTunnel('open', long)).toThrow(ShoalError)
    const ok = encodeTunnel('data', { opener: false, id: 1, data: Buffer.from('hello') })
    expect(() => decodeTunnel('data', ok.subarray(0, ok.length - 1))).toThrow(ShoalError)
    expect(() => decodeTunnel('end', Buffer.concat([encodeTunnel('end', { opener: false, id: 1 }), Buffer.from([0])]))).toThrow(ShoalError)
  })

  it('fuzz: 10 000 random buffers per kind either decode or throw BAD_FRAME', () => {
    let seed = 42
    const rand = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff
      return seed / 0x7fffffff
    }
    let decoded = 0
    for (const kind of TUNNEL_MESSAGES) {
      for (let i = 0; i < 10_000; i++) {
        const len = Math.floor(rand() * 24)
        const buf = Buffer.alloc(len)
        for (let j = 0; j < len; j++) buf[j] = Math.floor(rand() * 256)
        // Bias some towards small valid-looking prefixes.
        if (len > 0 && rand() < 0.5) buf[0] &= 7
        try {
          decodeTunnel(kind, buf)
          decoded++
        } catch (err) {
          expect(ShoalError.is(err, 'BAD_FRAME'), String(err)).toBe(true)
        }
      }
    }
    expect(decoded).toBeGreaterThan(100)
  })
})
