import { describe, expect, it } from 'vitest'
import { PauseGate } from '../../src/proxy/pause-gate.js'
import { ShoalError } from '../../src/core/errors.js'

const tick = () => new Promise((r) => setImmediate(r))

describe('PauseGate', () => {
  it('passes at once while open and counts in-flight entries', async () => {
    const gate = new PauseGate<string>()
    const a = await gate.enter()
    const b = await gate.enter()
    expect(a.target).toBeUndefined()
    expect(a.held).toBe(false)
    expect(gate.inFlight).toBe(2)
    a.leave()
    a.leave() // idempotent
    expect(gate.inFlight).toBe(1)
    b.leave()
    expect(gate.inFlight).toBe(0)
    expect(gate.admitted).toBe(2)
  })

  it('holds new entries while paused and releases them all to a new target, none lost', async () => {
    const gate = new PauseGate<string>()
    gate.pause()
    const passed: string[] = []
    const entries = Array.from({ length: 50 }, (_, i) =>
      gate.enter().then((p) => {
        passed.push(`${i}->${p.target}`)
        expect(p.held).toBe(true)
        p.leave()
      })
    )
    await tick()
    expect(gate.held).toBe(50)
    expect(passed).toHaveLength(0)
    gate.release('new-master')
    await Promise.all(entries)
    expect(passed).toHaveLength(50)
    expect(passed.every((s) => s.endsWith('->new-master'))).toBe(true)
    expect(gate.held).toBe(0)
    expect(gate.inFlight).toBe(0)
    // After release, new entries pass immediately with no target (ask the router).
    const after = await gate.enter()
    expect(after.target).toBeUndefined()
    expect(after.held).toBe(false)
  })

  it('release without a target keeps held entries on the same route', async () => {
    const gate = new PauseGate<string>()
    gate.pause()
    const p = gate.enter()
    gate.release()
    const pass = await p
    expect(pass.target).toBeUndefined()
    expect(pass.held).toBe(true)
  })

  it('drain resolves true when in-flight entries finish, while new ones are held', async () => {
    const gate = new PauseGate()
    const a = await gate.enter()
    const b = await gate.enter()
    gate.pause()
    const held = gate.enter()
    let drained: boolean | undefined
    const d = gate.drain(5_000).then((ok) => (drained = ok))
    a.leave()
    await tick()
    expect(drained).toBeUndefined()
    b.leave()
    await d
    expect(drained).toBe(true)
    expect(gate.held).toBe(1)
    gate.release()
    ;(await held).leave()
  })

  it('drain resolves at once when nothing is in flight', async () => {
    const gate = new PauseGate()
    gate.pause()
    expect(await gate.drain(10)).toBe(true)
  })

  it('drain returns false on timeout and leaves the entry in flight', async () => {
    const gate = new PauseGate()
    const a = await gate.enter()
    gate.pause()
    const t0 = Date.now()
    expect(await gate.drain(60)).toBe(false)
    expect(Date.now() - t0).toBeGreaterThanOrEqual(55)
    expect(gate.inFlight).toBe(1)
    a.leave()
  })

  it('held entries time out with GATE_TIMEOUT', async () => {
    const gate = new PauseGate({ holdTimeoutMs: 40 })
    gate.pause()
    const err = await gate.enter().catch((e) => e)
    expect(ShoalError.is(err, 'GATE_TIMEOUT')).toBe(true)
    expect(gate.held).toBe(0)
    expect(gate.inFlight).toBe(0)
    // a per-entry override
    const err2 = await gate.enter({ holdTimeoutMs: 5 }).catch((e) => e)
    expect(ShoalError.is(err2, 'GATE_TIMEOUT')).toBe(true)
  })

  it('an aborted held entry is dropped and not admitted on release', async () => {
    const gate = new PauseGate()
    gate.pause()
    const ac = new AbortController()
    const p = gate.enter({ signal: ac.signal })
    await tick()
    expect(gate.held).toBe(1)
    ac.abort(new Error('client left'))
    await expect(p).rejects.toThrow('client left')
    expect(gate.held).toBe(0)
    gate.release('x')
    expect(gate.inFlight).toBe(0)
    expect(gate.admitted).toBe(0)
    await expect(gate.enter({ signal: ac.signal })).rejects.toThrow('client left')
  })

  it('refuseHeld rejects waiting entries with the given error', async () => {
    const gate = new PauseGate()
    gate.pause()
    const p = gate.enter()
    gate.refuseHeld(new ShoalError('NO_MASTER', 'gone'))
    const err = await p.catch((e) => e)
    expect(ShoalError.is(err, 'NO_MASTER')).toBe(true)
    expect(gate.paused).toBe(true)
  })

  it('terminate asks the owners of in-flight entries to cut them', async () => {
    const gate = new PauseGate()
    const cut: string[] = []
    const a = await gate.enter()
    a.onTerminate((reason) => {
      cut.push(reason.message)
      a.leave()
    })
    const b = await gate.enter()
    b.onTerminate(() => {
      cut.push('b')
      b.leave()
    })
    gate.pause()
    const d = gate.drain(5_000)
    gate.terminate(new Error('move'))
    expect(await d).toBe(true)
    expect(cut.sort()).toEqual(['b', 'move'])
  })

  it('pause and release are idempotent and a second pause cycle works', async () => {
    const gate = new PauseGate<number>()
    gate.pause()
    gate.pause()
    const p1 = gate.enter()
    gate.release(1)
    gate.release(2)
    expect((await p1).target).toBe(1)
    gate.pause()
    const p2 = gate.enter()
    gate.release(3)
    expect((await p2).target).toBe(3)
  })
})

describe('PauseGate limits', () => {
  it('refuses entries past maxHeld at once instead of holding them', async () => {
    const gate = new PauseGate({ maxHeld: 2 })
    gate.pause()
    const a = gate.enter()
    const b = gate.enter()
    const err = await gate.enter().catch((e) => e)
    expect(ShoalError.is(err, 'GATE_TIMEOUT')).toBe(true)
    expect(gate.held).toBe(2)
    gate.release()
    await Promise.all([a, b])
    expect(gate.inFlight).toBe(2)
  })
})
