/**
 * The console in a real terminal (tmux at 80×24) on the simulated cluster: filter, open an app,
 * move it with the picker and the confirmation, watch the move complete, then resize the window
 * and see the screen reflow, then quit.
 */
import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { TmuxSession } from './tmux-session.js'

const root = fileURLToPath(new URL('../..', import.meta.url))
const hasTmux = (() => {
  try {
    execFileSync('tmux', ['-V'])
    return true
  } catch {
    return false
  }
})()

describe.skipIf(!hasTmux)('console in a real terminal', () => {
  it('filter, details, move with picker and confirmation, resize, quit', async () => {
    const program = `cd ${JSON.stringify(root)} && env -u CI -u CONTINUOUS_INTEGRATION node --import tsx src/console/fake-console-main.ts --step-ms 150 --poll-ms 300; echo "console exited: $?"; sleep 30`
    const term = new TmuxSession(program, 80, 24, { NO_COLOR: '1', TERM: 'xterm-256color' })
    await term.waitFor(/node-5\s+b\s+alive/, 30_000)

    term.keys('2')
    await term.waitFor('REPLICAS:LAG')
    term.keys('/')
    term.literal('web')
    term.keys('Enter')
    let screen = await term.waitFor('filter "web"')
    expect(screen).toMatch(/› web\s+running\s+node-1/)
    expect(screen).not.toMatch(/ api /)

    term.keys('Enter')
    screen = await term.waitFor(/Log \(tail\)[\s\S]*GET \/ 200/)
    expect(screen).toMatch(/web · running · epoch 1 · master node-1/)

    term.keys('m')
    screen = await term.waitFor('Move web to which node?')
    expect(screen).toMatch(/› node-2\s+\(replica\)/)
    term.keys('Down', 'Enter')
    await term.waitFor('Move web from node-1 to node-3?')
    term.keys('y')
    screen = await term.waitFor('move web → node-3: done')
    expect(screen).toMatch(/✓ new requests held; waiting for \d+ in flight/)
    expect(screen).toMatch(/✓ done: paused \d+ ms, epoch 2/)
    term.keys('Escape')
    await term.waitFor(/web · running · epoch 2 · master node-3/)

    // Every line fits in 80 columns and the status bar sits on the last line but one.
    screen = term.screen()
    const lines = screen.split('\n')
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(80)
    expect(lines[22]).toMatch(/Esc back/)

    term.keys('Escape')
    await term.waitFor('REPLICAS:LAG')
    term.resize(100, 30)
    screen = await term.waitFor((s) => s.split('\n')[28]?.includes('? help') ?? false)
    const row = screen.split('\n').find((l) => /web\s+running\s+node-3/.test(l))!
    expect(row.length).toBeGreaterThan(80)
    expect(row.length).toBeLessThanOrEqual(100)

    term.resize(80, 24)
    screen = await term.waitFor((s) => s.split('\n')[22]?.includes('? help') ?? false)
    for (const l of screen.split('\n')) expect(l.length).toBeLessThanOrEqual(80)

    term.keys('q')
    await term.waitFor('console exited: 0')
  }, 90_000)
})
