/** Confirmations say what will really happen (README: "Limits known today", the CLI table). */
import { describe, expect, it } from 'vitest'
import { confirmQuestion } from '../../src/console/action-words.js'

describe('confirmQuestion', () => {
  it('unpin promises nothing from a balancer, which is not built yet: the app stays where it runs', () => {
    const q = confirmQuestion('unpin', 'api', null, 'node-1')
    expect(q).not.toMatch(/balancer may/i)
    expect(q).toBe('Unpin api? It stays on node-1: Shoal does not move apps by load yet, so only a move, a promote or a failover changes where it runs.')
  })

  it('pin does not claim the app can never move: a failover moves it, and it comes back', () => {
    const q = confirmQuestion('pin', 'api', 'node-2', 'node-1')
    expect(q).not.toContain('never moves')
    expect(q).toBe('Pin api to node-2? It moves there now if it runs elsewhere; if node-2 fails it fails over, and comes back once node-2 is alive again.')
  })
})
