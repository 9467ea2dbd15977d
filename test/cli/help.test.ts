import { afterEach, describe, expect, it, vi } from 'vitest'
import { main } from '../../src/cli/main.js'
import { shoal } from '../helpers/processes.js'

/** Runs main() in this process; what it printed and its exit status. */
async function run(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = []
  const err: string[] = []
  vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')))
  vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')))
  const code = await main(argv)
  vi.restoreAllMocks()
  return { code, stdout: out.join('\n'), stderr: err.join('\n') }
}

afterEach(() => {
  vi.restoreAllMocks()
})

/** The flag lines of a help text: "  -f, --follow   keep printing…" → ["--follow", "keep printing…"]. */
function flagLines(help: string): Array<[string, string]> {
  return help
    .split('\n')
    .map((l) => /^ {2}(?:-\w, | {4})(--[\w-]+)(?: \S+)?\s*(.*)$/.exec(l))
    .filter((m) => m !== null)
    .map((m) => [m[1]!, m[2]!])
}

describe('shoal COMMAND --help', () => {
  it.each([
    [['up', '--help'], 'up', ['--home', '--cluster', '--name', '--zone', '--bootstrap', '--host', '--advertise', '--http-port', '--data-port', '--no-data-port', '--replication-limit', '--port-offset', '--capacity', '--ssh-port', '--authorized-keys', '--partition-policy', '--prefer-tunnel', '--no-standby', '--standby-every']],
    [['app', 'add', '--help'], 'app add', ['--home', '--json', '--cmd', '--data', '--http-host', '--tcp-port', '--replicas', '--zone', '--pin', '--health', '--env', '--partition-policy']],
    [['demo', '--help'], 'demo', ['--http-port', '--ssh-port', '--no-console']]
  ])('%j prints the usage and every flag on its own line, exit 0, and starts nothing', async (args, path, flags) => {
    const r = await shoal(args)
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(r.stdout.split('\n')[0]).toMatch(new RegExp(`^usage: shoal ${path}\\b`))
    const lines = flagLines(r.stdout)
    expect(lines.map(([f]) => f)).toEqual([...flags, '--help'])
    for (const [flag, text] of lines) expect(text, `${flag} is described`).not.toBe('')
    expect(r.stdout).not.toMatch(/starting a private bootstrap|shoal node .* is up/)
  })

  it('a missing value names the flag in one line, exit 2', async () => {
    const r = await shoal(['app', 'add', 'x', '--cmd'])
    expect(r.code).toBe(2)
    expect(r.stderr).toBe('shoal: --cmd needs a value\n')
    const short = await shoal(['logs', 'x', '--lines'])
    expect(short.stderr).toBe('shoal: --lines needs a value\n')
    expect(short.code).toBe(2)
  })

  // Every command, in this process (no node needed: --help is answered before anything runs).
  it.each([
    'init', 'bootstrap', 'up', 'status', 'events', 'apps', 'app add', 'app rm', 'app scale', 'logs', 'snapshots', 'snapshot checkout',
    'move', 'promote', 'pin', 'unpin', 'stash ls', 'stash checkout', 'stash drop', 'drill', 'console', 'demo'
  ])('shoal %s --help describes each flag it takes; -h and `shoal help` say the same', async (path) => {
    const r = await run([...path.split(' '), '--help'])
    expect(r.code).toBe(0)
    expect(r.stderr).toBe('')
    expect(r.stdout.split('\n')[0]).toMatch(new RegExp(`^usage: shoal ${path}\\b`))
    const lines = flagLines(r.stdout)
    expect(lines.length).toBeGreaterThan(0)
    for (const [flag, text] of lines) expect(text, `${flag} of shoal ${path} is described`).not.toBe('')
    expect((await run([...path.split(' '), '-h'])).stdout).toBe(r.stdout)
    expect((await run(['help', ...path.split(' ')])).stdout).toBe(r.stdout)
  })

  it.each(['app', 'stash', 'snapshot'])('shoal %s --help lists its subcommands, exit 0', async (name) => {
    const r = await run([name, '--help'])
    expect(r.code).toBe(0)
    expect(r.stdout.split('\n').filter((l) => l.startsWith(`  shoal ${name} `)).length).toBeGreaterThan(0)
  })
})
