import { describe, expect, it } from 'vitest'
import { barText } from '../../src/console/bar-text.js'
import { fitColumns, headerLine, type Column } from '../../src/console/columns.js'
import { errorSentence } from '../../src/console/error-sentence.js'
import { age, bytes, fit, lag, rtt, transferDone, transferText } from '../../src/console/format.js'
import { recordLoad } from '../../src/console/load-history.js'
import { operationLine, operationProgress } from '../../src/console/operation-text.js'
import { colorWanted, painter } from '../../src/console/paint.js'
import { scrollWindow } from '../../src/console/scroll-window.js'
import { sparklineText } from '../../src/console/sparkline-text.js'
import { splitKeys } from '../../src/console/split-keys.js'
import { ShoalError } from '../../src/core/errors.js'
import type { NodeStatus } from '../../src/control/types.js'

describe('formatting', () => {
  it.each([
    ['abc', 5, 'left', 'abc  '],
    ['abc', 5, 'right', '  abc'],
    ['abcdef', 4, 'left', 'abc…'],
    ['abc', 0, 'left', '']
  ] as const)('fit(%j, %i, %s)', (text, width, align, out) => expect(fit(text, width, align)).toBe(out))

  it.each([[null, '-'], [400, '0s'], [59_000, '59s'], [61_000, '1m'], [7_200_000, '2h'], [3 * 86_400_000, '3d']] as const)('age(%j)', (ms, out) => expect(age(ms)).toBe(out))
  it.each([[null, '?'], [120, '120ms'], [3500, '4s']] as const)('lag(%j)', (ms, out) => expect(lag(ms)).toBe(out))
  it.each([[null, '-'], [0, 'self'], [1.25, '1.3ms'], [42.4, '42ms']] as const)('rtt(%j)', (ms, out) => expect(rtt(ms)).toBe(out))
  it.each([[undefined, '-'], [999, '999B'], [1500, '1.5kB'], [45_000_000, '45MB']] as const)('bytes(%j)', (n, out) => expect(bytes(n)).toBe(out))
  it('a transfer in progress: share done, size, rate and time left; never 100% before it ends', () => {
    expect(transferText({ phase: 'chunks', bytes: 450e6, totalBytes: 1.1e9, rate: 60e6, etaMs: 10_800 })).toBe('syncing 40% of 1.1GB, 60MB/s, 11s left')
    expect(transferText({ phase: 'chunks', bytes: 1.1e9, totalBytes: 1.1e9, rate: 60e6, etaMs: 0 })).toBe('syncing 99% of 1.1GB, 60MB/s, 0s left')
    expect(transferText({ phase: 'chunks', bytes: 0, totalBytes: 0, rate: 0, etaMs: null })).toBe('syncing 0% of 0B, 0B/s')
    expect(transferText({ phase: 'manifest', bytes: 0, totalBytes: 0, rate: 0, etaMs: null })).toBe('syncing: manifest')
    expect(transferText({ phase: 'commit', bytes: 9, totalBytes: 9, rate: 1, etaMs: 0 })).toBe('syncing: committing')
    expect(transferDone({ bytes: 25, totalBytes: 100 })).toBe(0.25)
    expect(transferDone({ bytes: 5, totalBytes: 0 })).toBe(0)
    expect(transferDone({ bytes: 150, totalBytes: 100 })).toBe(1)
  })
})

describe('bars and sparklines', () => {
  it.each([[0, '····'], [1, '████'], [0.5, '██··'], [0.3, '█▎··'], [2, '████'], [Number.NaN, '····']])('barText(%d, 4)', (f, out) => expect(barText(f, 4)).toBe(out))
  it('always draws exactly the width', () => {
    for (let f = 0; f <= 1; f += 0.01) expect(barText(f, 9)).toHaveLength(9)
  })
  it('sparkline: newest right, padded left, clamped', () => {
    expect(sparklineText([0, 0.5, 1, 2], 6)).toBe('  ▁▅██')
    expect(sparklineText([0, 0.2, 0.4, 0.6, 0.8, 1], 3)).toBe('▅▇█')
  })
})

describe('fitColumns', () => {
  const col = (key: string, width: number, priority: number, extra: Partial<Column<string>> = {}): Column<string> => ({ key, title: key.toUpperCase(), width, priority, cell: (r) => ({ text: r }), ...extra })
  const cols = [col('name', 10, 0), col('zone', 5, 3), col('cpu', 14, 1, { min: 8 }), col('load', 12, 5, { min: 6, grow: true })]

  it('keeps every column when there is room, giving spare width to growing ones', () => {
    const fitted = fitColumns(cols, 60)
    expect(fitted.map((c) => [c.column.key, c.width])).toEqual([['name', 10], ['zone', 5], ['cpu', 14], ['load', 28]])
  })
  it('shrinks the least important columns to their minimum first', () => {
    expect(fitColumns(cols, 40).map((c) => [c.column.key, c.width])).toEqual([['name', 10], ['zone', 5], ['cpu', 14], ['load', 8]])
  })
  it('then drops the least important', () => {
    expect(fitColumns(cols, 28).map((c) => c.column.key)).toEqual(['name', 'zone', 'cpu'])
    expect(fitColumns(cols, 20).map((c) => c.column.key)).toEqual(['name', 'cpu'])
  })
  it('never drops priority 0', () => {
    expect(fitColumns(cols, 3).map((c) => c.column.key)).toEqual(['name'])
  })
  it('the header is as wide as the fitted columns', () => {
    expect(headerLine(fitColumns(cols, 60))).toHaveLength(60)
  })
  it('a content column is as wide as its longest cell (or title), up to its max', () => {
    const zone = col('zone', 5, 3, { content: true, max: 8 })
    expect(fitColumns([zone], 40, ['rack-1', 'rack-22']).map((c) => c.width)).toEqual([7])
    expect(fitColumns([zone], 40, ['a', 'b']).map((c) => c.width)).toEqual([4])
    expect(fitColumns([zone], 40, ['a-very-long-zone']).map((c) => c.width)).toEqual([8])
    expect(fitColumns([zone], 40, []).map((c) => c.width)).toEqual([5])
  })
  it('growing columns share the spare width and stop at their max', () => {
    const fitted = fitColumns([col('name', 10, 0), col('cpu', 10, 1, { grow: true, max: 14 }), col('load', 10, 2, { grow: true })], 60)
    expect(fitted.map((c) => [c.column.key, c.width])).toEqual([['name', 10], ['cpu', 14], ['load', 34]])
    const capped = fitColumns([col('name', 10, 0), col('cpu', 10, 1, { grow: true, max: 12 })], 60)
    expect(capped.map((c) => c.width)).toEqual([10, 12])
  })
})

describe('small pure pieces', () => {
  it('scrollWindow keeps the cursor in view', () => {
    expect(scrollWindow(0, 100, 10)).toEqual({ start: 0, end: 10 })
    expect(scrollWindow(50, 100, 10)).toEqual({ start: 45, end: 55 })
    expect(scrollWindow(99, 100, 10)).toEqual({ start: 90, end: 100 })
    expect(scrollWindow(3, 4, 10)).toEqual({ start: 0, end: 4 })
  })

  it('painter: SGR when colour is on, the bare words when off', () => {
    expect(painter(true)('alive', 'green')).toBe('\u001b[32malive\u001b[39m')
    expect(painter(false)('alive', 'green')).toBe('alive')
    expect(colorWanted({ NO_COLOR: '' })).toBe(false)
    expect(colorWanted({ TERM: 'xterm' })).toBe(true)
    expect(colorWanted({ TERM: 'dumb' })).toBe(false)
  })

  it('recordLoad keeps the newest samples per node and forgets vanished nodes', () => {
    const n = (id: string, cpu: number) => ({ id, cpu, mem: cpu / 2 }) as NodeStatus
    let h = recordLoad(new Map(), [n('a', 0.1), n('b', 0.2)], 3)
    for (const cpu of [0.3, 0.4, 0.5]) h = recordLoad(h, [n('a', cpu)], 3)
    expect(h.get('a')?.map((s) => s.cpu)).toEqual([0.3, 0.4, 0.5])
    expect(h.has('b')).toBe(false)
  })

  it('errorSentence: a sentence per code plus the particulars', () => {
    expect(errorSentence(new ShoalError('MIGRATION_ABORTED', 'drain timeout after 5000 ms'))).toBe('The move was aborted and the app keeps running where it was. (drain timeout after 5000 ms)')
    expect(errorSentence(Object.assign(new Error('n9 holds no replica'), { code: 'NOT_A_REPLICA' }))).toMatch(/^That node holds no replica/)
    expect(errorSentence(new Error('socket hang up'))).toBe('Socket hang up.')
    expect(errorSentence(undefined)).toBe('Something went wrong.')
  })

  it('operation lines and progress', () => {
    expect(operationLine({ tag: 'precopy', data: { round: 2, bytes: 1_500_000 } })).toBe('pre-copy round 2: 1.5MB sent')
    expect(operationLine({ tag: 'done', data: { pauseMs: 42, epoch: 5 } })).toBe('done: paused 42 ms, epoch 5')
    expect(operationLine({ tag: 'detect', data: { node: 'alpha', afterMs: 1735 } })).toBe('alpha declared dead (seen from here after 1735 ms)')
    expect(operationLine({ tag: 'mystery', data: { a: 1, b: 'x', c: {} } })).toBe('mystery: a 1, b x')
    expect(operationProgress({ tag: 'precopy', data: { sent: 1, total: 4 } })).toBe(0.25)
    expect(operationProgress({ tag: 'pause', data: {} })).toBeNull()
  })

  it('splitKeys turns a burst of typed keys into single keys', () => {
    expect(splitKeys('/we\r')).toEqual([{ input: '/', key: {} }, { input: 'w', key: {} }, { input: 'e', key: {} }, { input: '', key: { return: true } }])
    expect(splitKeys('\t\u007f')).toEqual([{ input: '', key: { tab: true } }, { input: '', key: { backspace: true } }])
  })
})

describe('poll pacing', () => {
  it('polls at the interval while redrawing is cheap, slower when it is not, never slower than the cap', async () => {
    const { nextPollDelay, recordDrawCost, MAX_POLL_MS } = await import('../../src/console/poll-pacing.js')
    expect(nextPollDelay({ costMs: 0 }, 2000)).toBe(2000)
    expect(nextPollDelay({ costMs: 5 }, 2000)).toBe(2000)
    expect(nextPollDelay({ costMs: 40 }, 2000)).toBe(4000)
    expect(nextPollDelay({ costMs: 900 }, 2000)).toBe(MAX_POLL_MS)
    expect(nextPollDelay({ costMs: 40 }, 2000, 1)).toBe(2000)
    let p = recordDrawCost({ costMs: 0 }, 100)
    expect(p.costMs).toBe(100)
    p = recordDrawCost(p, 0)
    expect(p.costMs).toBeCloseTo(70)
  })
})
