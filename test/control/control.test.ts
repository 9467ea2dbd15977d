import { afterEach, describe, expect, it } from 'vitest'
import net from 'node:net'
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ControlServer } from '../../src/control/server.js'
import { SocketConnection, InProcessConnection, type ControlConnection } from '../../src/control/connection.js'
import { ShoalError } from '../../src/core/errors.js'
import type { Handlers } from '../../src/control/methods.js'
import { controlSocketPath } from '../../src/control/socket-path.js'

const handlers: Handlers = {
  async ping() {
    return { ok: true, id: 'me' }
  },
  async status(params) {
    if (params.fail) throw new ShoalError('NO_MASTER', 'nothing here')
    return { self: 'me', nodes: [] }
  },
  async events(params, emit, signal) {
    emit({ n: 1 })
    emit({ n: 2 })
    if (params.finite) return
    await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()))
  }
}

let dir = ''
let server: ControlServer | null = null
afterEach(async () => {
  await server?.close()
  server = null
  if (dir) rmSync(dir, { recursive: true, force: true })
})

async function both(): Promise<Array<[string, ControlConnection]>> {
  dir = mkdtempSync(join(tmpdir(), 'shoal-ctl-'))
  server = new ControlServer(controlSocketPath(dir), handlers)
  await server.listen()
  return [
    ['socket', await SocketConnection.connect(controlSocketPath(dir), dir)],
    ['in-process', new InProcessConnection(handlers)]
  ]
}

describe('control API', () => {
  it('the socket is only for the node\'s user (mode 0600)', async () => {
    await both()
    expect(statSync(controlSocketPath(dir)).mode & 0o777).toBe(0o600)
  })

  it('requests, errors with codes and streams behave the same over the socket and in-process', async () => {
    for (const [, conn] of await both()) {
      expect(await conn.call('ping')).toEqual({ ok: true, id: 'me' })
      await expect(conn.call('status', { fail: true })).rejects.toMatchObject({ code: 'NO_MASTER', message: 'nothing here' })
      await expect(conn.call('nope')).rejects.toMatchObject({ code: 'UNKNOWN_METHOD' })
      await expect(conn.call('events')).rejects.toMatchObject({ code: 'UNKNOWN_METHOD' })
      const got: unknown[] = []
      for await (const e of conn.stream('events', { finite: true })) got.push(e)
      expect(got).toEqual([{ n: 1 }, { n: 2 }])
      // breaking out of an endless stream cancels it, and the connection keeps working
      for await (const e of conn.stream('events')) {
        expect(e).toEqual({ n: 1 })
        break
      }
      expect(await conn.call('ping')).toEqual({ ok: true, id: 'me' })
      conn.close()
    }
  })

  it('garbage on the socket gets an error line and a closed connection; the server keeps serving', async () => {
    await both()
    const reply = await new Promise<string>((resolve) => {
      const s = net.connect(controlSocketPath(dir))
      let buf = ''
      s.on('data', (d) => (buf += d))
      s.on('close', () => resolve(buf))
      s.write('this is not json\n')
    })
    expect(JSON.parse(reply.trim())).toMatchObject({ error: { code: 'BAD_ARGUMENT' } })
    const conn = await SocketConnection.connect(controlSocketPath(dir), dir)
    expect(await conn.call('ping')).toEqual({ ok: true, id: 'me' })
    conn.close()
  })

  it('no node behind the socket is NODE_NOT_RUNNING', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'shoal-none-'))
    await expect(SocketConnection.connect(controlSocketPath(empty), empty)).rejects.toMatchObject({ code: 'NODE_NOT_RUNNING' })
    rmSync(empty, { recursive: true })
  })
})
