import { describe, expect, it } from 'vitest'
import { randomBytes } from 'node:crypto'
import { ShoalError } from '../../src/core/errors.js'
import { decodeRpc, encodeRpc, type RpcFrame } from '../../src/protocol/rpc-messages.js'

const frames: RpcFrame[] = [
  { kind: 'request', id: 1, method: 'app.move', body: JSON.stringify({ app: 'web', target: 'ab'.repeat(32) }) },
  { kind: 'event', id: 1, body: JSON.stringify({ tag: 'precopy', data: { round: 1, bytes: 4096 } }) },
  { kind: 'end', id: 1, body: 'null' },
  { kind: 'error', id: 2 ** 33, code: 'APP_BUSY', message: 'web is already being moved' },
  { kind: 'cancel', id: 7 }
]

describe('node-to-node rpc frames', () => {
  it.each(frames.map((f) => [f.kind, f] as const))('%s round-trips byte-exact', (_, f) => {
    const bytes = encodeRpc(f)
    expect(decodeRpc(bytes)).toEqual(f)
    expect(encodeRpc(decodeRpc(bytes))).toEqual(bytes)
  })

  it('10 000 random and mutated frames either decode or are refused with BAD_FRAME', () => {
    let refused = 0
    for (let i = 0; i < 10_000; i++) {
      let buf: Buffer
      if (i % 2 === 0) buf = randomBytes(Math.floor(Math.random() * 64))
      else {
        buf = Buffer.from(encodeRpc(frames[i % frames.length]!))
        buf[Math.floor(Math.random() * buf.length)] = Math.floor(Math.random() * 256)
        if (i % 3 === 0) buf = buf.subarray(0, Math.floor(Math.random() * buf.length))
      }
      try {
        decodeRpc(buf)
      } catch (err) {
        expect(err).toBeInstanceOf(ShoalError)
        expect((err as ShoalError).code).toBe('BAD_FRAME')
        refused++
      }
    }
    expect(refused).toBeGreaterThan(1000)
  })
})
