import { describe, expect, it } from 'vitest'
import { ShoalError } from '../../src/core/errors.js'
import { AppTraffic } from '../../src/proxy/traffic.js'

describe('AppTraffic', () => {
  it('forgets a removed app: what its paused gate held is refused, and its figures are gone', async () => {
    const traffic = new AppTraffic()
    traffic.metrics('shop').connectionOpened()
    traffic.gate('shop').pause()
    const held = traffic.gate('shop').enter({ signal: new AbortController().signal })
    expect(traffic.has('shop')).toBe(true)
    traffic.forget('shop', new ShoalError('UNKNOWN_APP', 'shop was removed'))
    await expect(held).rejects.toMatchObject({ code: 'UNKNOWN_APP' })
    expect(traffic.has('shop')).toBe(false)
    expect(traffic.loads()).toEqual({})
    // An app added later under the name starts with an open gate and no figures.
    expect(traffic.gate('shop').tryEnter()).not.toBeNull()
    expect(traffic.metrics('shop').load(0).connections).toBe(0)
  })
})
