import { PassThrough } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { TerminalInput } from '../../src/console/terminal-input.js'
import { TerminalOutput } from '../../src/console/terminal-output.js'

function collect(stream: PassThrough): () => string {
  let text = ''
  stream.on('data', (c: Buffer) => { text += c.toString('utf8') })
  return () => text
}

describe('terminal streams for SSH channels', () => {
  it('output reports its size, emits resize on a change only, and turns \\n into \\r\\n when asked', async () => {
    const target = new PassThrough()
    const read = collect(target)
    const out = new TerminalOutput(target, 80, 24, { crlf: true })
    expect([out.isTTY, out.columns, out.rows]).toEqual([true, 80, 24])
    let resized = 0
    out.on('resize', () => resized++)
    out.resize(80, 24)
    out.resize(100, 30)
    expect(resized).toBe(1)
    expect([out.columns, out.rows]).toEqual([100, 30])
    await new Promise<void>((r) => out.write('a\nb\r\nc', () => r()))
    expect(read()).toBe('a\r\nb\r\nc')
  })

  it('without crlf the bytes pass untouched', async () => {
    const target = new PassThrough()
    const read = collect(target)
    const out = new TerminalOutput(target, 80, 24)
    await new Promise<void>((r) => out.write('a\nb', () => r()))
    expect(read()).toBe('a\nb')
  })

  it('input looks like a raw-mode TTY to Ink and passes keys through', async () => {
    const input = new TerminalInput()
    expect(input.isTTY).toBe(true)
    expect(input.setRawMode(true).isRaw).toBe(true)
    input.ref().unref()
    input.setEncoding('utf8')
    input.write('q')
    await new Promise((r) => setImmediate(r))
    expect(input.read()).toBe('q')
  })
})
