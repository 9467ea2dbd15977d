import { describe, expect, it } from 'vitest'
import { EventQueue } from '../../src/control/event-queue.js'

describe('EventQueue', () => {
  it('return() settles a next() already waiting as done, and cancels the producer once', async () => {
    let cancelled = 0
    const q = new EventQueue<number>(() => cancelled++)
    const waiting = q.next()
    await q.return()
    await expect(waiting).resolves.toEqual({ value: undefined, done: true })
    await q.return()
    expect(cancelled).toBe(1)
    q.push(1)
    await expect(q.next()).resolves.toMatchObject({ done: true })
  })

  it('a for-await loop parked on a quiet stream ends when the stream is returned from outside', async () => {
    const q = new EventQueue<number>()
    q.push(1)
    const seen: number[] = []
    const loop = (async () => {
      for await (const v of q) seen.push(v)
      return 'ended'
    })()
    await new Promise((r) => setTimeout(r, 20))
    await q.return()
    await expect(loop).resolves.toBe('ended')
    expect(seen).toEqual([1])
  })
})
