import { createServer } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { execFileSync } from 'node:child_process'
import { writeFileSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { SHOAL_BIN, shoal, startCluster } from '../helpers/processes.js'
import { tempDirsPerTest } from '../helpers/temp-dirs.js'
import { waitFor } from '../helpers/wait.js'
import { TmuxSession } from './tmux-session.js'

const COUNTER = fileURLToPath(new URL('../../examples/http-counter/server.mjs', import.meta.url))

let cluster: Awaited<ReturnType<typeof startCluster>> | null = null
const tempDir = tempDirsPerTest()
afterEach(async () => {
  await cluster?.close()
  cluster = null
})

/** Three real nodes with the counter app running; node `a` serves the console over SSH. */
async function liveCluster(sshPort: number, authorizedKeys: string) {
  cluster = await startCluster()
  const a = cluster.start('a', ['--zone', 'za', '--ssh-port', String(sshPort), '--authorized-keys', authorizedKeys])
  const b = cluster.start('b', ['--zone', 'zb'])
  const c = cluster.start('c', ['--zone', 'zc'])
  for (const n of [a, b, c]) await cluster.waitAlive(n, ['a', 'b', 'c'])
  const r = await shoal(['app', 'add', 'counter', '--home', a.home, '--cmd', `node ${COUNTER}`, '--http-host', 'counter.test', '--health', 'http:/health', '--replicas', '2', '--pin', 'a'])
  expect(r.code).toBe(0)
  await shoal(['unpin', 'counter', '--home', a.home])
  await waitFor(async () => JSON.parse((await shoal(['apps', '--home', b.home, '--json'])).stdout).apps[0]?.state === 'running', 'counter running', 20_000)
  return { a, b, c }
}

/**
 * A port nothing listens on, below Linux's ephemeral range (32768 and up) so the kernel never
 * hands it to an outgoing connection of another test meanwhile; checked by binding it.
 */
async function freePort(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_000)
    const free = await new Promise<boolean>((resolve) => {
      const s = createServer()
      s.once('error', () => resolve(false))
      s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)))
    })
    if (free) return port
  }
}

describe('the console against a real cluster', () => {
  it('in a real terminal: filter, open an app, move it with the picker and confirmation, see it done', async () => {
    const keys = tempDir('shoal-keys-')
    writeFileSync(join(keys, 'authorized_keys'), '')
    const { a } = await liveCluster(await freePort(), join(keys, 'authorized_keys'))
    const term = new TmuxSession(`${process.execPath} ${SHOAL_BIN} console --home ${a.home}`, 80, 24, { TERM: 'xterm-256color' })
    await term.waitFor(/3\/3 nodes alive/)
    term.keys('2')
    await term.waitFor(/counter\s+running\s+a\b/)
    term.literal('/coun')
    term.keys('Enter')
    term.keys('Enter')
    await term.waitFor(/[Ss]napshot/)
    term.keys('Escape')
    // Back in the list before the next key: an Escape and a key that reach the terminal in one
    // read are one key with Alt held, as in any terminal program.
    await term.waitFor(/REPLICAS:LAG/)
    term.literal('m')
    await term.waitFor(/Move counter to which node\?/)
    term.keys('Enter')
    await term.waitFor(/Move counter from a to/)
    term.literal('y')
    await term.waitFor((s) => /counter\s+running\s+[bc]\b/.test(s), 30_000)
    term.literal('q')
  })

  it('over SSH with the real OpenSSH client: a listed key sees the console, an unknown key is refused', async () => {
    const keys = tempDir('shoal-keys-')
    for (const name of ['operator', 'stranger']) execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', join(keys, name)])
    writeFileSync(join(keys, 'authorized_keys'), readFileSync(join(keys, 'operator.pub')))
    const port = await freePort()
    await liveCluster(port, join(keys, 'authorized_keys'))
    const args = (key: string) =>
      ['-F', '/dev/null', '-i', join(keys, key), '-p', String(port), '-o', 'IdentitiesOnly=yes', '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR']
    const cmd = ['env', '-u', 'SSH_AUTH_SOCK', 'ssh', ...args('operator'), '-tt', 'ops@127.0.0.1'].map((x) => `'${x}'`).join(' ')
    const term = new TmuxSession(`${cmd}; echo "ssh exited: $?"; sleep 30`, 80, 24, { TERM: 'xterm-256color' })
    await term.waitFor(/3\/3 nodes alive/, 20_000)
    term.keys('2')
    await term.waitFor(/counter\s+running/)
    term.literal('q')
    await term.waitFor('ssh exited: 0')

    let refused = ''
    try {
      execFileSync('ssh', [...args('stranger'), '-T', 'ops@127.0.0.1'], { encoding: 'utf8', env: { ...process.env, SSH_AUTH_SOCK: '' }, timeout: 20_000, stdio: ['ignore', 'pipe', 'pipe'] })
    } catch (err) {
      refused = String((err as { stderr?: string }).stderr)
    }
    expect(refused).toMatch(/Permission denied/)
  })
})
