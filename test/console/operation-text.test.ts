/** Every step a move, promote, pin or drill streams, as the operation panel words it. */
import { describe, expect, it } from 'vitest'
import type { OperationEvent } from '../../src/control/types.js'
import type { Operation } from '../../src/console/console-reducer.js'
import { drillFigures, drillReportRows } from '../../src/console/drill-report-text.js'
import { operationPanelLines } from '../../src/console/operation-panel-lines.js'
import { operationLine } from '../../src/console/operation-text.js'
import { wrapText } from '../../src/console/wrap-text.js'

const ev = (tag: string, data: Record<string, unknown> = {}): OperationEvent => ({ tag, data })

// The shapes the node streams: src/node/migration.ts (move, promote, pin) and src/node/drill.ts.
const steps: Array<[OperationEvent, string]> = [
  [ev('start', { app: 'web', from: 'alpha', to: 'beta' }), 'moving web from alpha to beta'],
  [ev('replica', { node: 'beta' }), 'beta becomes a replica first'],
  [ev('precopy', { round: 1, bytes: 1_500_000 }), 'pre-copy round 1: 1.5MB sent'],
  [ev('precopy', { round: 2, bytes: 0, skipped: 'a file kept changing while read' }), 'pre-copy round 2 skipped: a file kept changing while read'],
  [ev('stage', { node: 'beta', snapshot: 'a1b2c3' }), 'beta laid out the data ahead of the pause'],
  [ev('pause', { inFlight: 3 }), 'new requests held; waiting for 3 in flight'],
  [ev('final', { snapshot: 'a1b2c3d4e5f6a7', bytes: 12_000, drainMs: 3, stopMs: 20, snapshotMs: 4, shipMs: 9 }), 'final snapshot sent: 12kB'],
  [ev('start-target', { node: 'beta' }), 'starting on beta'],
  [ev('health', { node: 'beta', ok: true, restoreMs: 12, startMs: 300 }), 'health check passed on beta'],
  [ev('done', { epoch: 5, pauseMs: 42, finalDeltaBytes: 12_000 }), 'done: paused 42 ms, epoch 5'],
  [ev('error', { code: 'MIGRATION_ABORTED', message: '3 requests were still in flight after the drain timeout' }), 'failed: 3 requests were still in flight after the drain timeout'],
  [ev('result', { ok: true, app: 'web', from: 'alpha', to: 'beta', epoch: 5, pauseMs: 42, finalDeltaBytes: 12_000 }), 'web runs on beta now (epoch 5)'],
  [ev('pinned', { app: 'web', node: 'beta' }), 'pinned to beta'],
  [ev('probe', { targets: ['beta', 'gamma'], path: '/records', host: 'api.local' }), 'probe writing to /records through beta, gamma'],
  [ev('stop', { mode: 'crash', node: 'alpha', at: 0, durationMs: 10_000 }), 'fault: alpha crashes for 10 s'],
  [ev('stop', { mode: 'partition', node: 'alpha', at: 0, durationMs: 5000 }), 'fault: alpha is cut off for 5 s'],
  [ev('stop', { mode: 'graceful', node: 'alpha', at: 0, action: 'planned promote to beta' }), 'fault: planned promote to beta'],
  [ev('detect', { node: 'alpha', afterMs: 1806 }), 'alpha declared dead (seen from here after 1806 ms)'],
  [ev('detect', { node: 'alpha', afterMs: 1794, seenBy: 'beta' }), 'alpha declared dead by beta after 1794 ms'],
  [ev('promote', { step: 'start-target', node: 'beta' }), 'promote: starting on beta'],
  [ev('promote', { node: 'beta', epoch: 4, afterMs: 2301 }), 'beta is master (epoch 4) after 2301 ms'],
  [ev('promote', { node: 'beta', epoch: 4, pauseMs: 40 }), 'beta is master (epoch 4), paused 40 ms'],
  [ev('restore', { node: 'alpha', stash: 'api-e3-alpha-20250101120000', afterMs: 14_520 }), 'alpha is back as a replica; its divergent writes are stashed as api-e3-alpha-20250101120000'],
  [ev('restore', { node: 'alpha', stash: null, afterMs: 14_520 }), 'alpha is back as a replica'],
  [ev('done', { detectionMs: 1794, recoveryMs: 1943, attempted: 212, acknowledged: 205, failed: 7, lost: 0, stashedOnly: 0, failures: {}, stash: null, master: 'beta', epoch: 4 }), 'done: beta is master (epoch 4), 0 writes lost'],
  [ev('frobnicate-widgets', { node: 'beta', count: 2 }), 'frobnicate widgets: node beta, count 2']
]

describe('operationLine', () => {
  it.each(steps)('%j', (e, sentence) => expect(operationLine(e)).toBe(sentence))

  it('never shows a raw tag or key=value', () => {
    for (const [e] of steps) {
      const s = operationLine(e)
      expect(s).not.toMatch(/\w=\S/)
      expect(s).not.toContain(e.tag.includes('-') ? e.tag : '\u0000')
    }
  })

  it('a detection step uses the report\'s figure once the drill has one', () => {
    expect(operationLine(ev('detect', { node: 'alpha', afterMs: 1806 }), { detectionMs: 1794 })).toBe('alpha declared dead after 1794 ms')
  })
})

describe('wrapText', () => {
  it.each([
    ['fits', 'a short line', 20, 0, ['a short line']],
    ['breaks at spaces', 'one two three four', 9, 0, ['one two', 'three', 'four']],
    ['indents the lines after the first', 'one two three four', 9, 2, ['one two', '  three', '  four']],
    ['splits a word longer than a line', 'abcdefghij', 4, 0, ['abcd', 'efgh', 'ij']],
    ['empty text is one empty line', '', 5, 0, ['']]
  ] as const)('%s', (_name, text, width, indent, out) => expect(wrapText(text, width, indent)).toEqual(out))

  it('no line is wider than asked', () => {
    for (const l of wrapText('placement epoch 4, master beta, replicas gamma-eu-west-1, delta-eu-west-2, epsilon-eu-west-3', 30, 4)) expect(l.length).toBeLessThanOrEqual(30)
  })
})

describe('drill report', () => {
  const writes = { attempted: 10, acknowledged: 9, failed: 1, lost: 0, stashedOnly: 2, failures: {} }
  const done = ev('done', { detectionMs: 1794, recoveryMs: 1943, ...writes, stash: 's-1', master: 'beta', epoch: 4 })
  const result = ev('result', { ok: true, mode: 'crash', detectionMs: 1794, recoveryMs: 1943, writes, stash: 's-1', stashes: ['s-1', 's-2'], placement: { epoch: 4, master: 'beta', replicas: ['gamma', 'alpha'] } })

  it('from the report: every row the CLI prints', () => {
    expect(drillReportRows(drillFigures([done, result])!)).toEqual([
      ['detection', '1794 ms'],
      ['recovery', '1943 ms'],
      ['writes', '10 attempted, 9 acknowledged, 1 failed, 0 lost, 2 kept only in the stash'],
      ['stash', 's-1, s-2'],
      ['placement', 'epoch 4, master beta, replicas gamma, alpha']
    ])
  })

  it('from the done step alone (a failed drill\'s report comes back as an error)', () => {
    const rows = drillReportRows(drillFigures([done])!)
    expect(rows.at(-2)).toEqual(['stash', 's-1'])
    expect(rows.at(-1)).toEqual(['placement', 'epoch 4, master beta'])
  })

  it('a graceful drill has no detection to measure', () => {
    const graceful = ev('result', { ...result.data, mode: 'graceful', detectionMs: null })
    expect(drillReportRows(drillFigures([graceful])!)[0]).toEqual(['detection', 'none: a planned promote, nothing failed'])
  })

  it('nothing before the drill reports', () => {
    expect(drillFigures([ev('probe', { targets: [], path: '/' }), ev('done', { epoch: 3, pauseMs: 5 })])).toBeNull()
  })
})

describe('operationPanelLines', () => {
  const op = (events: OperationEvent[], status: Operation['status'] = 'done', error: string | null = null): Operation => ({ id: 1, action: 'drill', app: 'api', target: 'crash', events, status, error })
  const text = (lines: ReturnType<typeof operationPanelLines>) => lines.map((l) => (l.kind === 'text' ? l.text : `[bar ${l.fraction}]`))

  it('a running operation shows its newest steps, at most OPERATION_ROWS lines', () => {
    const steps = Array.from({ length: 9 }, (_, i) => ev('precopy', { round: i + 1, bytes: 1000 }))
    const lines = text(operationPanelLines(op(steps, 'running'), 76))
    expect(lines).toHaveLength(6)
    expect(lines.at(-1)).toBe('pre-copy round 9: 1.0kB sent')
  })

  it('nothing yet: starting…', () => {
    expect(text(operationPanelLines(op([], 'running'), 76))).toEqual(['starting…'])
  })

  it('a failure: its sentence wrapped in red, the raw error step left out', () => {
    const long = 'The move was aborted and the app keeps running where it was. (3 requests were still in flight after the drain timeout)'
    const lines = operationPanelLines(op([ev('pause', { inFlight: 3 }), ev('error', { code: 'MIGRATION_ABORTED', message: 'x' })], 'failed', long), 40)
    expect(lines.filter((l) => l.kind === 'text' && l.tone === 'red').map((l) => (l.kind === 'text' ? l.text : '')).join(' ')).toBe(long)
    for (const l of lines) if (l.kind === 'text') expect(l.text.length).toBeLessThanOrEqual(40)
    expect(text(lines)).not.toContain('failed: x')
  })
})
