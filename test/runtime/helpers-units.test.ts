import net from 'node:net'
import { describe, expect, it } from 'vitest'
import { ShoalError } from '../../src/core/errors.js'
import { Backoff, EventWindow } from '../../src/runtime/backoff.js'
import { freePort } from '../../src/runtime/free-port.js'
import { parseHealth, probe } from '../../src/runtime/health-check.js'
import { LineSplitter, LogRing, MAX_LINE_CHARS, type LogLine } from '../../src/runtime/log-ring.js'

describe('LogRing and LineSplitter', () => {
  it('keeps the newest lines in order and follows new ones', () => {
    const ring = new LogRing(3)
    const seen: string[] = []
    const stop = ring.follow((l) => seen.push(l.line))
    for (let i = 1; i <= 5; i++) ring.push({ ts: i, stream: 'stdout', line: `l${i}` })
    expect(ring.lines().map((l) => l.line)).toEqual(['l3', 'l4', 'l5'])
    expect(ring.lines(2).map((l) => l.line)).toEqual(['l4', 'l5'])
    stop()
    ring.push({ ts: 6, stream: 'stderr', line: 'l6' })
    expect(seen).toEqual(['l1', 'l2', 'l3', 'l4', 'l5'])
  })

  it('splits chunks into lines, joins partial ones, strips CR and cuts overlong lines', () => {
    const out: LogLine[] = []
    const split = new LineSplitter('stderr', (l) => out.push(l), () => 7)
    split.write('hel')
    split.write('lo\r\nwor')
    split.write('ld\n\nlast')
    expect(out.map((l) => l.line)).toEqual(['hello', 'world', ''])
    split.flush()
    expect(out.at(-1)).toEqual({ ts: 7, stream: 'stderr', line: 'last' })
    split.write('x'.repeat(MAX_LINE_CHARS * 2 + 5) + '\n')
    expect(out.slice(-3).map((l) => l.line.length)).toEqual([MAX_LINE_CHARS, MAX_LINE_CHARS, 5])
  })
})

describe('Backoff and EventWindow', () => {
  it('doubles up to the cap and resets', () => {
    const b = new Backoff({ initialMs: 100, maxMs: 1000, jitter: 0 })
    expect([b.next(), b.next(), b.next(), b.next(), b.next()]).toEqual([100, 200, 400, 800, 1000])
    b.reset()
    expect(b.next()).toBe(100)
    const j = new Backoff({ initialMs: 100, jitter: 0.5, random: () => 1 })
    expect(j.next()).toBe(150)
  })

  it('counts events inside the window only', () => {
    let now = 0
    const w = new EventWindow(1000, () => now)
    expect(w.record()).toBe(1)
    now = 500
    expect(w.record()).toBe(2)
    now = 1200
    expect(w.record()).toBe(2)
  })
})

describe('health checks', () => {
  it('parses http:/PATH, tcp and none, refusing anything else', () => {
    expect(parseHealth('http:/health')).toEqual({ kind: 'http', path: '/health' })
    expect(parseHealth('tcp')).toEqual({ kind: 'tcp' })
    expect(parseHealth(undefined)).toEqual({ kind: 'tcp' })
    expect(parseHealth('none')).toEqual({ kind: 'none' })
    for (const bad of ['http:health', 'http:/a b', 'udp', '']) {
      expect(() => parseHealth(bad)).toThrow(ShoalError)
    }
  })

  it('tcp probe tells a listening port from a closed one', async () => {
    const srv = net.createServer((s) => s.end())
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r))
    const port = (srv.address() as net.AddressInfo).port
    expect(await probe({ kind: 'tcp' }, port)).toBe(true)
    await new Promise((r) => srv.close(r))
    expect(await probe({ kind: 'tcp' }, port)).toBe(false)
    expect(await probe({ kind: 'http', path: '/' }, port)).toBe(false)
    const free = await freePort()
    expect(free).toBeGreaterThan(0)
  })
})

describe('CPU measurement', () => {
  it('turns CPU-second readings into a busy fraction', async () => {
    const { CpuMeter } = await import('../../src/runtime/proc-cpu.js')
    let now = 0
    const m = new CpuMeter(() => now)
    expect(m.sample(10)).toBe(0)
    now = 2000
    expect(m.sample(11)).toBeCloseTo(0.5)
    now = 3000
    expect(m.sample(0.2)).toBe(0) // a restarted process starts over
  })
})
