import { afterEach, describe, expect, it } from 'vitest'
import { simCluster } from '../helpers/sim-cluster.js'
import { encodeMesh } from '../../src/protocol/mesh-messages.js'
import { SUSPICION_BASE_MS } from '../../src/mesh/failure-detector.js'

let stop: (() => void) | null = null
afterEach(() => {
  stop?.()
  stop = null
})

describe('mesh over the in-memory transport', () => {
  it('converges: every node knows every other as alive', () => {
    const c = simCluster(5)
    stop = c.stop
    const took = c.clock.runUntil(() => c.meshes.every((m) => m.members().filter((v) => v.status === 'alive').length === 5), 5000)
    expect(took).toBeLessThan(100)
  })

  it('records reach nodes that are not directly connected', () => {
    const c = simCluster(60, { full: false, degree: 4 })
    stop = c.stop
    c.clock.runUntil(() => c.meshes.every((m) => m.members().length === 60), 10_000)
    c.meshes[0]!.updateSelf({ zone: 'moved' })
    const took = c.clock.runUntil(() => c.meshes.every((m) => m.member(c.meshes[0]!.id)?.record.zone === 'moved'), 5000)
    expect(took).toBeLessThan(200)
  })

  it('declares a silent node dead within 3 s and never before it is suspected', () => {
    const c = simCluster(5)
    stop = c.stop
    c.clock.runUntil(() => c.meshes.every((m) => m.members().length === 5), 5000)
    c.clock.advance(2000)
    const victim = c.meshes[4]!
    // When the survivors first suspected it, and first declared it dead (virtual ms).
    const first = new Map<string, number>()
    for (const m of c.meshes.slice(0, 4)) {
      m.on('change', (e: { id: string; to: string }) => {
        if (e.id === victim.id && !first.has(e.to)) first.set(e.to, c.clock.now())
      })
    }
    c.net.crash(victim.id)
    const took = c.clock.runUntil(() => c.meshes.slice(0, 4).every((m) => c.statusOf(m, victim) === 'dead'), 10_000)
    expect(took).toBeLessThanOrEqual(3000)
    // Dead only after it was suspect for the whole suspicion timeout (it could have refuted).
    expect(first.has('suspect')).toBe(true)
    expect(first.get('dead')! - first.get('suspect')!).toBeGreaterThanOrEqual(SUSPICION_BASE_MS)
  })

  it('has no false suspicion over 60 s with jitter and 5% loss', () => {
    const c = simCluster(5, { net: { jitterMs: 30, loss: 0.05 } })
    stop = c.stop
    c.clock.runUntil(() => c.meshes.every((m) => m.members().length === 5), 5000)
    let dead = 0
    for (const m of c.meshes) m.on('change', (e) => e.to === 'dead' && dead++)
    c.clock.advance(60_000)
    expect(dead).toBe(0)
    expect(c.meshes.every((m) => m.members().every((v) => v.status === 'alive'))).toBe(true)
  })

  it('a suspected node refutes by raising its incarnation', () => {
    const c = simCluster(3)
    stop = c.stop
    c.clock.runUntil(() => c.meshes.every((m) => m.members().length === 3), 5000)
    const [a, b] = c.meshes
    a!.gossip.applyClaim({ id: b!.id, incarnation: 1, status: 'suspect', by: a!.id }, null)
    c.clock.advance(100)
    expect(b!.record.incarnation).toBeGreaterThan(1)
    expect(c.meshes.every((m) => c.statusOf(m, b!) === 'alive')).toBe(true)
  })

  it('a graceful leave shows left everywhere, never dead', async () => {
    const c = simCluster(4)
    stop = c.stop
    c.clock.runUntil(() => c.meshes.every((m) => m.members().length === 4), 5000)
    const leaver = c.meshes[3]!
    const seen: string[] = []
    for (const m of c.meshes.slice(0, 3)) m.on('change', (e) => e.id === leaver.id && seen.push(e.to))
    const done = leaver.leave()
    c.clock.advance(400)
    await done
    leaver.stop()
    c.net.crash(leaver.id)
    c.clock.advance(10_000)
    expect(c.meshes.slice(0, 3).every((m) => c.statusOf(m, leaver) === 'left')).toBe(true)
    expect(seen).toEqual(['left', 'left', 'left'])
  })

  it('a partition heals: both sides see everyone alive again', () => {
    const c = simCluster(4)
    stop = c.stop
    c.clock.runUntil(() => c.meshes.every((m) => m.members().length === 4), 5000)
    const ids = c.meshes.map((m) => m.id)
    c.net.partition([ids.slice(0, 2), ids.slice(2)])
    c.clock.advance(5000)
    expect(c.statusOf(c.meshes[0]!, c.meshes[3]!)).toBe('dead')
    c.net.heal()
    // A node that was declared dead learns it from the digest exchange and refutes.
    const took = c.clock.runUntil(() => c.meshes.every((m) => m.members().every((v) => v.status === 'alive')), 10_000)
    expect(took).toBeLessThan(5000)
  })

  it('a malformed frame closes that peer session, is counted, and keeps state', () => {
    const c = simCluster(3)
    stop = c.stop
    c.clock.runUntil(() => c.meshes.every((m) => m.members().length === 3), 5000)
    const [a, b] = c.meshes
    const t = c.net.transport(b!.id)
    t.send(a!.id, Buffer.from([0x05, 0xff, 0xff, 0xff]))
    t.send(a!.id, Buffer.alloc(2 * 1024 * 1024))
    c.clock.advance(10)
    expect(a!.stats.badFrames).toBe(1)
    expect(a!.transport.isConnected(b!.id)).toBe(false)
    expect(a!.members()).toHaveLength(3)
    // and a valid frame from the other peer still works
    c.net.transport(c.meshes[2]!.id).send(a!.id, encodeMesh({ type: 'ping', seq: 1 }))
    c.clock.advance(10)
    expect(a!.stats.badFrames).toBe(1)
  })
})
