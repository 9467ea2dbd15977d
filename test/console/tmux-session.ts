/**
 * A program running in a real terminal: a private tmux server (its own socket, so nothing else
 * is touched) with one window of a given size. Keys go in with send-keys, the screen comes back
 * with capture-pane; waits poll the screen until a deadline, never a fixed sleep.
 */
import { execFileSync } from 'node:child_process'
import { onTestFinished } from 'vitest'

export class TmuxSession {
  private readonly socket = `shoal-console-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`

  constructor(command: string, columns: number, rows: number, env: Record<string, string> = {}) {
    const envArgs = Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`])
    this.tmux('-f', '/dev/null', 'new-session', '-d', '-s', 'main', '-x', String(columns), '-y', String(rows), ...envArgs, command)
    onTestFinished(() => this.close())
  }

  tmux(...args: string[]): string {
    return execFileSync('tmux', ['-L', this.socket, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
  }

  /** Keys as tmux names them (`Enter`, `Escape`, `Down`) or literal text with `literal`. */
  keys(...keys: string[]): void {
    this.tmux('send-keys', '-t', 'main', ...keys)
  }

  literal(text: string): void {
    this.tmux('send-keys', '-t', 'main', '-l', text)
  }

  screen(): string {
    return this.tmux('capture-pane', '-p', '-t', 'main')
  }

  resize(columns: number, rows: number): void {
    this.tmux('resize-window', '-t', 'main', '-x', String(columns), '-y', String(rows))
  }

  async waitFor(what: string | RegExp | ((screen: string) => boolean), timeoutMs = 15_000): Promise<string> {
    const ok = typeof what === 'function' ? what : (s: string) => (typeof what === 'string' ? s.includes(what) : what.test(s))
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const s = this.screen()
      if (ok(s)) return s
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${String(what)}; screen:\n${s}`)
      await new Promise((r) => setTimeout(r, 50))
    }
  }

  close(): void {
    try {
      this.tmux('kill-server')
    } catch {
      // already gone
    }
  }
}
