import { readFileSync } from 'node:fs'
import http from 'node:http'
import net from 'node:net'
import { describe, expect, it, onTestFinished } from 'vitest'
import { groupProcesses } from '../../src/runtime/group-processes.js'
import { groupListensOn, listeningInodes } from '../../src/runtime/port-owner.js'
import type { StateEvent } from '../../src/runtime/supervisor.js'
import { fixtureApp, getJson, until } from './helpers.js'

/** An HTTP server in this process that answers every path with 200, as a squatter would. */
async function squatter(): Promise<number> {
  const srv = http.createServer((_req, res) => res.end('not the app\n'))
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r))
  onTestFinished(() => new Promise<void>((r) => srv.close(() => r())))
  return (srv.address() as net.AddressInfo).port
}

describe('who listens on a port', () => {
  it('finds the listening socket of a port, and none of a closed one', async () => {
    const port = await squatter()
    expect(listeningInodes(port)!.size).toBeGreaterThan(0)
    const closed = net.createServer()
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r))
    const gone = (closed.address() as net.AddressInfo).port
    await new Promise<void>((r) => closed.close(() => r()))
    expect(listeningInodes(gone)!.size).toBe(0)
  })

  it('tells a process group that holds the port from one that does not', async () => {
    const port = await squatter()
    const stat = readFileSync('/proc/self/stat', 'utf8')
    const ownGroup = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2])
    expect(groupProcesses(ownGroup).map((p) => p.pid)).toContain(process.pid)
    expect(groupListensOn(ownGroup, port)).toBe(true)
    const sup = fixtureApp('ok')
    await sup.start()
    expect(groupListensOn(sup.pid!, sup.port!)).toBe(true)
    expect(groupListensOn(sup.pid!, port)).toBe(false)
  })
})

describe('AppSupervisor and a port another process took', () => {
  it('does not count the app healthy when another program answers on its port, and moves it to another port', async () => {
    const taken = await squatter()
    const sup = fixtureApp('ok', { port: taken })
    const reasons: string[] = []
    sup.on('state', (e: StateEvent) => e.reason && reasons.push(e.reason))
    await sup.start()
    expect(sup.state).toBe('healthy')
    expect(sup.port).not.toBe(taken)
    // The app itself answers there now: its own health answer names it.
    expect((await getJson(sup.port!)).app).toBe('app-ok')
    await until(() => reasons.some((r) => r.includes(`port ${taken} is held by another process`)))
    expect(sup.logs.lines().some((l) => l.line.includes(`port ${taken} is held by another process`))).toBe(true)
  })
})
