import { describe, expect, it } from 'vitest'
import { PIN_RETRY_MS, PIN_RETURN_AFTER_MS, pinReturnDue, type PinReturnFacts } from '../../src/core/pin-return.js'

const base: PinReturnFacts = { self: 'a', pin: 'b', master: 'a', state: 'running', pinAliveSince: 0, busy: false, lastTryAt: 0, now: 100_000 }

describe('a pinned app going back to its node', () => {
  it('is due on its master once the pinned node has been alive a while', () => {
    expect(pinReturnDue(base)).toBe(true)
    expect(pinReturnDue({ ...base, pinAliveSince: base.now - PIN_RETURN_AFTER_MS + 1 })).toBe(false)
    expect(pinReturnDue({ ...base, pinAliveSince: null })).toBe(false)
  })

  it('is not due without a pin, on its pin already, elsewhere than on the master, or while not running or busy', () => {
    expect(pinReturnDue({ ...base, pin: '' })).toBe(false)
    expect(pinReturnDue({ ...base, pin: 'a' })).toBe(false)
    expect(pinReturnDue({ ...base, master: 'c' })).toBe(false)
    expect(pinReturnDue({ ...base, state: 'moving' })).toBe(false)
    expect(pinReturnDue({ ...base, busy: true })).toBe(false)
  })

  it('waits between attempts', () => {
    expect(pinReturnDue({ ...base, lastTryAt: base.now - PIN_RETRY_MS + 1 })).toBe(false)
    expect(pinReturnDue({ ...base, lastTryAt: base.now - PIN_RETRY_MS })).toBe(true)
  })
})
