import fs from 'node:fs'
import path from 'node:path'
import { spawn } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { ShoalError } from '../../src/core/errors.js'
import type { LogLine } from '../../src/runtime/log-ring.js'
import type { StateEvent } from '../../src/runtime/supervisor.js'
import { FIXTURE, alive, fixtureApp, getJson, tempDir, until } from './helpers.js'

describe('AppSupervisor', () => {
  it('starts the app with its environment, counts it running only once healthy, and captures its output', async () => {
    const sup = fixtureApp('ok', { env: { EXTRA: 'yes' } })
    const states: string[] = []
    sup.on('state', (e: StateEvent) => states.push(e.state))
    const followed: LogLine[] = []
    sup.follow((l) => followed.push(l))
    await sup.start()
    expect(sup.state).toBe('healthy')
    expect(states).toEqual(['starting', 'healthy'])
    const info = await getJson(sup.port!)
    expect(info).toMatchObject({ app: 'app-ok', node: 'node-test', extra: 'yes', data: sup['opts'].dataDir })
    expect(info.pid).toBe(sup.pid)
    await until(() => sup.logs.lines().some((l) => l.stream === 'stderr'))
    const lines = sup.logs.lines()
    expect(lines.find((l) => l.stream === 'stdout')?.line).toBe(`listening on ${sup.port}`)
    expect(lines.find((l) => l.stream === 'stderr')?.line).toBe('a line on stderr')
    expect(lines[0].stream).toBe('shoal')
    expect(lines.every((l) => l.ts > 0)).toBe(true)
    expect(followed.map((l) => l.line)).toContain('a line on stderr')
  })

  it('restarts a crashed app on the same port after a backoff', async () => {
    const sup = fixtureApp('ok')
    const states: string[] = []
    const at = new Map<string, number>()
    sup.on('state', (e: StateEvent) => {
      states.push(e.state)
      at.set(e.state, performance.now())
    })
    await sup.start()
    const first = sup.pid!
    const port = sup.port!
    await fetch(`http://127.0.0.1:${port}/crash`).then((r) => r.text())
    await until(() => sup.state === 'healthy' && sup.pid !== first)
    expect(alive(first)).toBe(false)
    expect(sup.port).toBe(port)
    expect(sup.restarts).toBe(1)
    expect(sup.lastExit).toMatchObject({ code: 1, expected: false })
    expect(states).toEqual(['starting', 'healthy', 'crashed', 'backoff', 'starting', 'healthy'])
    // The backoff (20 ms first, in these tests) passed between the crash and the new start.
    expect(at.get('starting')! - at.get('crashed')!).toBeGreaterThanOrEqual(15)
    expect((await getJson(port)).pid).toBe(sup.pid)
    expect(sup.logs.lines().some((l) => l.stream === 'shoal' && l.line.includes('exited with code 1'))).toBe(true)
  })

  it('reports a crash loop as a state and an event, and start() fails with CRASH_LOOP', async () => {
    const sup = fixtureApp('exit', { crashLoopCrashes: 3, crashWindowMs: 10_000 })
    const loop = new Promise<{ crashes: number }>((r) => sup.once('crash-loop', r))
    const err = await sup.start().catch((e) => e)
    expect(ShoalError.is(err, 'CRASH_LOOP')).toBe(true)
    expect((await loop).crashes).toBe(3)
    expect(sup.state).toBe('crash-loop')
    expect(sup.logs.lines().filter((l) => l.line === 'failing at once')).toHaveLength(3)
  })

  it('restarts an app that never passes its health check', async () => {
    const sup = fixtureApp('unhealthy', { startTimeoutMs: 300, crashLoopCrashes: 100 })
    const reasons: string[] = []
    const pids: number[] = []
    sup.on('state', (e: StateEvent) => {
      if (e.state === 'crashed') reasons.push(e.reason ?? '')
      if (e.state === 'starting') pids.push(e.pid!)
    })
    const p = sup.start()
    p.catch(() => {})
    // Given up on, and started again: a new process, which fails the same way.
    await until(() => reasons.length >= 2 && pids.length >= 2)
    expect(reasons[0]).toContain('not healthy within 300 ms')
    expect(new Set(pids).size).toBe(pids.length)
    expect(sup.restarts).toBeGreaterThanOrEqual(1)
    expect(sup.state).not.toBe('healthy')
  })

  it('restarts an app that stops answering its health check while running', async () => {
    const sup = fixtureApp('ok', { liveProbeMs: 30, unhealthyAfter: 2, crashLoopCrashes: 100, stopGraceMs: 300 })
    const reasons: string[] = []
    sup.on('state', (e: StateEvent) => e.state === 'crashed' && reasons.push(e.reason ?? ''))
    await sup.start()
    const first = sup.pid!
    // Freeze the process: it stays alive but its HTTP health check times out.
    process.kill(first, 'SIGSTOP')
    await until(() => sup.state === 'healthy' && sup.pid !== first)
    expect(alive(first)).toBe(false)
    expect(reasons[0]).toContain('failed 2 health checks in a row')
  }, 20_000)

  it('stop kills the whole process group, children included', async () => {
    const sup = fixtureApp('spawn-child')
    await sup.start()
    const dir = sup['opts'].dataDir
    const appPid = Number(fs.readFileSync(path.join(dir, 'app.pid'), 'utf8'))
    const childPid = Number(fs.readFileSync(path.join(dir, 'child.pid'), 'utf8'))
    expect(alive(appPid) && alive(childPid)).toBe(true)
    await sup.stop()
    expect(sup.state).toBe('stopped')
    await until(() => !alive(appPid) && !alive(childPid))
    expect(sup.lastExit?.expected).toBe(true)
  })

  it('stop sends SIGKILL after the grace period to an app that ignores SIGTERM', async () => {
    const sup = fixtureApp('ignore-term', { stopGraceMs: 300 })
    await sup.start()
    const pid = sup.pid!
    const t0 = Date.now()
    await sup.stop()
    expect(Date.now() - t0).toBeGreaterThanOrEqual(280)
    expect(alive(pid)).toBe(false)
    expect(sup.lastExit?.signal).toBe('SIGKILL')
    expect(sup.logs.lines().some((l) => l.line === 'ignoring SIGTERM')).toBe(true)
  })

  it('never leaves an orphan when the node process dies, even by SIGKILL', async () => {
    for (const how of ['exit', 'SIGKILL'] as const) {
      const dir = tempDir()
      const script = path.join(import.meta.dirname, 'fixtures', 'node-host.ts')
      const host = spawn(process.execPath, ['--import', 'tsx', script, dir, how], { stdio: ['pipe', 'pipe', 'inherit'] })
      const pids = await new Promise<{ app: number; child: number }>((resolve, reject) => {
        let out = ''
        host.stdout!.on('data', (d) => {
          out += d.toString()
          const m = /^ready (\d+) (\d+)$/m.exec(out)
          if (m) resolve({ app: Number(m[1]), child: Number(m[2]) })
        })
        host.once('exit', () => reject(new Error(`host exited early: ${out}`)))
      })
      expect(alive(pids.app) && alive(pids.child)).toBe(true)
      if (how === 'SIGKILL') host.kill('SIGKILL')
      else host.stdin!.write('go\n')
      await until(() => !alive(pids.app) && !alive(pids.child), 50)
    }
  }, 25_000)
})

describe('AppSupervisor CPU', () => {
  it('reports the CPU its process group burns', async () => {
    const sup = fixtureApp('ok', { cmd: `node -e "setInterval(() => { const t = Date.now(); while (Date.now() - t < 40); }, 50)" & exec node ${JSON.stringify(FIXTURE)}` })
    await sup.start()
    sup.cpuLoad()
    await new Promise((r) => setTimeout(r, 1000)) // the measured interval itself: nothing to await
    const busy = sup.cpuLoad()
    expect(busy).toBeGreaterThan(0.2)
    expect(busy).toBeLessThan(2.1)
  })
})
