import { describe, expect, it } from 'vitest'
import { ShoalError } from '../../src/core/errors.js'
import { MAX_TUNNEL_WINDOW, TunnelStream, type TunnelLink } from '../../src/mesh/tunnel-stream.js'
import { MAX_TUNNEL_DATA, TUNNEL_WINDOW } from '../../src/protocol/tunnel-messages.js'

/** A link that records what the stream sends, with no network. */
function fakeLink() {
  const sent = { data: 0, credits: [] as number[], ends: 0, resets: [] as Array<Error | null> }
  const link: TunnelLink = {
    sendData: (_s, d) => ((sent.data += d.byteLength), true),
    sendCredit: (_s, n) => void sent.credits.push(n),
    sendEnd: () => void sent.ends++,
    sendReset: (_s, e) => void sent.resets.push(e),
    onDrain: (fn) => fn(),
    forget: () => {}
  }
  return { link, sent }
}

const tick = () => new Promise((r) => setImmediate(r))

describe('TunnelStream flow control', () => {
  it('never sends more than the peer granted, and resumes on credit', async () => {
    const { link, sent } = fakeLink()
    const s = new TunnelStream(link, 1, true, 'app')
    let done = false
    s.write(Buffer.alloc(TUNNEL_WINDOW + 1000), () => (done = true))
    await tick()
    expect(sent.data).toBe(TUNNEL_WINDOW)
    expect(done).toBe(false)
    s.onPeerCredit(500)
    expect(sent.data).toBe(TUNNEL_WINDOW + 500)
    s.onPeerCredit(500)
    await tick()
    expect(sent.data).toBe(TUNNEL_WINDOW + 1000)
    expect(done).toBe(true)
    s.destroy()
  })

  it('returns credit in batches: small exchanges cost no credit frame, a long stream never stalls', async () => {
    const { link, sent } = fakeLink()
    const s = new TunnelStream(link, 1, false, 'app')
    let read = 0
    s.on('data', (d: Buffer) => (read += d.length))
    for (let i = 0; i < 100; i++) {
      s.onPeerData(Buffer.alloc(200))
      await tick()
    }
    expect(read).toBe(20_000)
    expect(sent.credits).toEqual([])
    // The peer keeps sending within what it was granted: credit comes back before it runs out.
    let granted = TUNNEL_WINDOW
    let given = 20_000
    while (given < 4 * TUNNEL_WINDOW) {
      expect(given + MAX_TUNNEL_DATA).toBeLessThanOrEqual(granted)
      s.onPeerData(Buffer.alloc(MAX_TUNNEL_DATA))
      given += MAX_TUNNEL_DATA
      await tick()
      granted += sent.credits.splice(0).reduce((a, b) => a + b, 0)
    }
    expect(read).toBe(given)
    s.destroy()
  })

  it('resets a peer that overruns the window', async () => {
    const { link, sent } = fakeLink()
    const s = new TunnelStream(link, 1, false, 'app')
    const err = new Promise<Error>((r) => s.on('error', r))
    s.pause()
    for (let i = 0; i < TUNNEL_WINDOW / MAX_TUNNEL_DATA; i++) s.onPeerData(Buffer.alloc(MAX_TUNNEL_DATA))
    s.onPeerData(Buffer.alloc(1))
    expect(ShoalError.is(await err, 'TUNNEL_RESET')).toBe(true)
    expect(sent.resets).toHaveLength(1)
  })

  it('grows the window while the reader keeps up with a window-limited sender', async () => {
    const { link, sent } = fakeLink()
    const s = new TunnelStream(link, 1, false, 'app')
    let read = 0
    s.on('data', (c: Buffer) => (read += c.length))
    // The peer always sends as much as it may.
    let credit = TUNNEL_WINDOW
    for (let round = 0; round < 40; round++) {
      while (credit > 0) {
        const n = Math.min(credit, MAX_TUNNEL_DATA)
        s.onPeerData(Buffer.alloc(n))
        credit -= n
      }
      await tick()
      credit += sent.credits.splice(0).reduce((a, b) => a + b, 0)
    }
    expect(credit).toBeGreaterThan(TUNNEL_WINDOW)
    expect(credit).toBeLessThanOrEqual(MAX_TUNNEL_WINDOW)
    expect(read).toBeGreaterThan(40 * TUNNEL_WINDOW)
    s.destroy()
  })

  it('half-closes with an end frame and a clean close sends no reset', async () => {
    const { link, sent } = fakeLink()
    const s = new TunnelStream(link, 1, true, 'app')
    s.resume()
    s.end('bye')
    await tick()
    expect(sent.ends).toBe(1)
    s.onPeerEnd()
    await new Promise((r) => s.on('close', r))
    expect(sent.resets).toHaveLength(0)
  })
})
