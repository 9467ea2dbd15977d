import { describe, expect, it } from 'vitest'
import { spawn, execFileSync } from 'node:child_process'
import { SHOAL_BIN } from '../helpers/processes.js'
import { request } from '../helpers/http.js'
import { waitFor } from '../helpers/wait.js'

/** Processes whose command line mentions `text` (ours only: the demo's temp folder is unique). */
function processesWith(text: string): string[] {
  try {
    return execFileSync('pgrep', ['-af', text], { encoding: 'utf8' }).trim().split('\n').filter((l) => l && !l.includes('pgrep'))
  } catch {
    return []
  }
}

describe('shoal demo (npm start)', () => {
  it('starts three nodes and the example app, answers through every node, and Ctrl-C leaves nothing behind', async () => {
    // Ports below Linux's ephemeral range (32768 and up): no outgoing connection of another
    // test can be holding them (the SSH port is base + 10 000).
    const base = 20_000 + Math.floor(Math.random() * 800) * 3
    const demo = spawn(process.execPath, [SHOAL_BIN, 'demo', '--http-port', String(base), '--ssh-port', String(base + 10_000), '--no-console'], { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    demo.stdout.on('data', (d) => (out += d))
    demo.stderr.on('data', (d) => (out += d))
    const exited = new Promise<number | null>((resolve) => demo.on('exit', (code) => resolve(code)))
    try {
      await waitFor(() => out.includes('The demo cluster is up'), `the demo to start:\n${out}`, 45_000)
      const root = /--home (\/\S+)\/alpha/.exec(out)?.[1]
      expect(root).toMatch(/shoal-demo-/)
      expect(out).toContain(`ssh -p ${base + 10_000}`)
      for (let i = 0; i < 3; i++) {
        await waitFor(async () => (await request(base + i, 'counter.localhost', { path: '/count' })).status === 200, `counter through node ${i}`, 30_000)
      }
      // the demo's own traffic is being written
      await waitFor(async () => JSON.parse((await request(base, 'counter.localhost', { path: '/count' })).body).count > 0, 'demo traffic', 15_000)
      expect(processesWith(root!).length).toBeGreaterThanOrEqual(3)
      demo.kill('SIGINT')
      expect(await exited).toBe(0)
      await waitFor(() => processesWith(root!).length === 0, 'every demo process to be gone', 20_000)
      expect(out).toContain('stopping the demo cluster')
    } finally {
      if (demo.exitCode === null) demo.kill('SIGKILL')
    }
  }, 120_000)
})
