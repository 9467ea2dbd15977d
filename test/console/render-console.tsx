/** Renders the console on a simulated cluster with ink-testing-library; cleans up after the test. */
import { onTestFinished } from 'vitest'
import { render } from 'ink-testing-library'
import { App } from '../../src/console/App.js'
import { FakeCluster, type FakeClusterOptions } from '../../src/console/fake-source.js'

export const KEYS = { enter: '\r', esc: '\u001b', down: '\u001b[B', up: '\u001b[A', tab: '\t', backspace: '\u007f' }

export function renderConsole(opts: FakeClusterOptions & { readOnly?: boolean; color?: boolean; cpuBudget?: number; notes?: string[] } = {}) {
  const fake = new FakeCluster({ nodes: 5, apps: 12, stepMs: 0, ...opts })
  const ui = render(<App source={fake} readOnly={opts.readOnly ?? false} color={opts.color ?? false} pollMs={40} cpuBudget={opts.cpuBudget} notes={opts.notes} />)
  onTestFinished(() => {
    ui.unmount()
    fake.close()
  })
  const frame = () => ui.lastFrame() ?? ''
  /** Waits until the frame shows `what` (text, or a predicate on the frame); fails with the last frame. */
  const waitFor = async (what: string | RegExp | ((f: string) => boolean), timeoutMs = 3000): Promise<string> => {
    const ok = typeof what === 'function' ? what : (f: string) => (typeof what === 'string' ? f.includes(what) : what.test(f))
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const f = frame()
      if (ok(f)) return f
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${String(what)}; last frame:\n${f}`)
      await new Promise((r) => setTimeout(r, 10))
    }
  }
  /** Types keys one at a time, letting the console redraw between them. */
  const press = async (...keys: string[]) => {
    for (const k of keys) {
      ui.stdin.write(k)
      await new Promise((r) => setTimeout(r, 15))
    }
  }
  return { fake, ui, frame, waitFor, press }
}
