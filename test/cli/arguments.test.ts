import dgram from 'node:dgram'
import { describe, expect, it } from 'vitest'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import net from 'node:net'
import { shoal } from '../helpers/processes.js'

describe('the CLI with wrong or missing input', () => {
  it('init prints a 64-hex key and how to use it', async () => {
    const r = await shoal(['init'])
    expect(r.code).toBe(0)
    expect(r.stdout.trim()).toMatch(/^[0-9a-f]{64}$/)
    expect(r.stderr).toContain('shoal up')
  })

  it.each([
    [['frobnicate'], /unknown command "frobnicate"/],
    [['up', '--home', '/tmp/x'], /needs --cluster KEY/],
    [['up', '--cluster', 'nothex'], /64 hex characters/],
    [['up', '--cluster', 'ab'.repeat(32), '--bootstrap', 'nohostport'], /--bootstrap takes host:port/],
    [['up', '--cluster', 'ab'.repeat(32), '--http-port', '99999'], /--http-port takes a port number/],
    [['up', '--cluster', 'ab'.repeat(32), '--capacity=-1'], /--capacity takes a positive number/],
    [['up', '--cluster', 'ab'.repeat(32), '--capacity', '-1'], /--capacity needs a value/],
    [['status', '--bogus'], /unknown option '--bogus'/],
    [['bootstrap'], /needs --host/]
  ])('%j → one plain sentence and a non-zero exit', async (args, message) => {
    const r = await shoal(args as string[])
    expect(r.code).not.toBe(0)
    expect(r.stderr).toMatch(message)
    expect(r.stderr).not.toMatch(/\bat .*\.js:\d+/) // no stack trace
  })

  it('a count that is not a whole number, contradicting flags or a bad node name are refused before anything starts', async () => {
    for (const [args, message] of [
      [['logs', 'x', '--lines', 'abc'], 'shoal: --lines takes a whole number (0 or more), got "abc"'],
      [['events', '--history', '2.5'], 'shoal: --history takes a whole number (0 or more), got "2.5"'],
      [['up', '--cluster', 'ab'.repeat(32), '--no-data-port', '--data-port', '5'], 'shoal: --no-data-port and --data-port contradict each other: give one'],
      [['up', '--cluster', 'ab'.repeat(32), '--no-standby', '--standby-every', '5'], 'shoal: --no-standby and --standby-every contradict each other: give one'],
      [['up', '--cluster', 'ab'.repeat(32), '--name', 'bad name'], 'shoal: --name takes letters, digits, dots, dashes and underscores (at most 63, starting with a letter or digit), got "bad name"']
    ] as const) {
      const r = await shoal([...args, '--home', '/nonexistent-shoal-home'])
      expect(r.code).toBe(2)
      expect(r.stderr.trim()).toBe(message)
    }
  })

  it('a client command with no node in its home says so and exits non-zero', async () => {
    const home = mkdtempSync(join(tmpdir(), 'shoal-nohome-'))
    for (const args of [['status', '--home', home], ['events', '--home', home]]) {
      const r = await shoal(args)
      expect(r.code).toBe(3)
      expect(r.stderr.trim().split('\n')).toHaveLength(1)
      expect(r.stderr).toContain(`no shoal node is running in ${home}`)
    }
    const viaEnv = await shoal(['status'], { SHOAL_HOME: home })
    expect(viaEnv.stderr).toContain(home)
    rmSync(home, { recursive: true })
  })

  it('a bootstrap port already taken is one sentence naming the flag, exit 2', async () => {
    const taken = dgram.createSocket('udp4')
    await new Promise<void>((resolve) => taken.bind(0, '127.0.0.1', resolve))
    const port = taken.address().port
    try {
      const r = await shoal(['bootstrap', '--host', '127.0.0.1', '--port', String(port)])
      expect(r.code).toBe(2)
      expect(r.stderr.trim()).toBe(`shoal: the bootstrap port 127.0.0.1:${port} is already in use by another program or node; choose another with --port P`)
    } finally {
      taken.close()
    }
  })

  it('a port already taken (--http-port, --data-port) is one sentence naming the flag, exit 2', async () => {
    const taken = net.createServer()
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve))
    const port = String((taken.address() as net.AddressInfo).port)
    try {
      for (const [flag, what] of [['--http-port', 'HTTP port'], ['--data-port', 'data port']] as const) {
        const home = mkdtempSync(join(tmpdir(), 'shoal-port-'))
        const r = await shoal(['up', '--home', home, '--cluster', 'ab'.repeat(32), '--host', '127.0.0.1', '--bootstrap', '127.0.0.1:9', flag, port])
        rmSync(home, { recursive: true, force: true })
        expect(r.code).toBe(2)
        expect(r.stderr).toContain(`the ${what} 127.0.0.1:${port} is already in use by another program or node; choose another with ${flag}`)
        expect(r.stderr).not.toMatch(/\bat .*\.js:\d+/)
        // Nothing about a node that never came up (it used to print its own "joined" first).
        expect(r.stdout).not.toMatch(/joined|is up/)
      }
    } finally {
      taken.close()
    }
  })
})
