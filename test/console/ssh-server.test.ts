/**
 * The console over SSH with the real OpenSSH client, driven in tmux: a listed key sees the
 * console and can resize it, a read-only key is refused actions, an unknown key is refused at
 * login, and two sessions run at once with one quitting while the other keeps going.
 */
import { execFile, execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it, onTestFinished } from 'vitest'
import { parseAuthorizedKeys } from '../../src/console/authorized-keys.js'
import { FakeCluster } from '../../src/console/fake-source.js'
import { HOST_KEY_FILE } from '../../src/console/host-key.js'
import { createConsoleSshServer } from '../../src/console/ssh-server.js'
import { TmuxSession } from './tmux-session.js'

const have = (cmd: string, arg: string) => {
  try {
    execFileSync(cmd, [arg], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}
const canRun = have('tmux', '-V') && have('ssh', '-V')

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'shoal-ssh-'))
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

function keygen(dir: string, name: string, type = 'ed25519'): { file: string; pub: string } {
  const file = join(dir, name)
  execFileSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-C', name, '-f', file])
  return { file, pub: readFileSync(`${file}.pub`, 'utf8').trim() }
}

async function server(opts: { authorized: string; readOnly?: boolean }) {
  const dir = tempDir()
  const authorizedKeysFile = join(dir, 'authorized_keys')
  writeFileSync(authorizedKeysFile, opts.authorized)
  const fake = new FakeCluster({ nodes: 5, apps: 12, stepMs: 20 })
  const errors: unknown[] = []
  const srv = await createConsoleSshServer({ hostKeyDir: join(dir, 'home'), authorizedKeysFile, source: () => fake, port: 0, pollMs: 300, readOnly: opts.readOnly ?? false, onError: (e) => errors.push(e) })
  onTestFinished(async () => {
    await srv.close()
    fake.close()
  })
  return { srv, dir, fake, errors }
}

const sshArgs = (key: string, port: number) => [
  '-F', '/dev/null', '-i', key, '-p', String(port),
  '-o', 'IdentitiesOnly=yes', '-o', 'PreferredAuthentications=publickey', '-o', 'BatchMode=yes',
  '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR'
]

function sshInTmux(key: string, port: number, columns = 80, rows = 24): TmuxSession {
  const cmd = ['env', '-u', 'SSH_AUTH_SOCK', 'ssh', ...sshArgs(key, port), '-tt', 'operator@127.0.0.1'].map((a) => `'${a}'`).join(' ')
  return new TmuxSession(`${cmd}; echo "ssh exited: $?"; sleep 30`, columns, rows, { TERM: 'xterm-256color' })
}

describe('authorized_keys', () => {
  it('reads key lines, options and comments; shoal-read-only marks a key read-only', () => {
    const dir = tempDir()
    const a = keygen(dir, 'a').pub
    const b = keygen(dir, 'b').pub
    const r = keygen(dir, 'r', 'rsa').pub
    const e = keygen(dir, 'e', 'ecdsa').pub
    const text = ['# operators', '', a, `shoal-read-only ${b}`, `no-port-forwarding,command="echo hi there",shoal-read-only ${r}`, `restrict ${e}`, 'garbage line', 'ssh-ed25519 notbase64!!'].join('\n')
    const { keys, problems } = parseAuthorizedKeys(text)
    expect(keys.map((k) => [k.type, k.readOnly, k.comment, k.line])).toEqual([
      ['ssh-ed25519', false, 'a', 3],
      ['ssh-ed25519', true, 'b', 4],
      ['ssh-rsa', true, 'r', 5],
      ['ecdsa-sha2-nistp256', false, 'e', 6]
    ])
    expect(problems.map((p) => p.line)).toEqual([7, 8])
  })
})

describe.skipIf(!canRun)('console over SSH (OpenSSH client)', () => {
  it('keeps its host key across restarts and OpenSSH can read it', async () => {
    const dir = tempDir()
    const authorizedKeysFile = join(dir, 'authorized_keys')
    writeFileSync(authorizedKeysFile, '')
    const fake = new FakeCluster({ nodes: 2, apps: 2 })
    onTestFinished(() => fake.close())
    const first = await createConsoleSshServer({ hostKeyDir: dir, authorizedKeysFile, source: () => fake, port: 0 })
    await first.close()
    const second = await createConsoleSshServer({ hostKeyDir: dir, authorizedKeysFile, source: () => fake, port: 0 })
    await second.close()
    expect(second.hostKey).toBe(first.hostKey)
    expect(first.hostKey).toMatch(/^ssh-ed25519 AAAA/)
    const fromOpenSsh = execFileSync('ssh-keygen', ['-y', '-f', join(dir, HOST_KEY_FILE)], { encoding: 'utf8' })
    expect(fromOpenSsh.split(' ').slice(0, 2).join(' ')).toBe(first.hostKey)
  })

  it('a listed key sees the console, which follows window changes; q ends the session', async () => {
    const keys = tempDir()
    const alice = keygen(keys, 'alice')
    const { srv } = await server({ authorized: `${alice.pub}\n` })
    const term = sshInTmux(alice.file, srv.address().port)
    let screen = await term.waitFor(/node-5\s+b\s+alive/, 20_000)
    expect(screen.split('\n')[0]).toMatch(/^Shoal \[1 Nodes\]/)
    expect(screen).not.toContain('READ-ONLY')
    for (const l of screen.split('\n')) expect(l.length).toBeLessThanOrEqual(80)
    expect(srv.sessions()).toBe(1)

    term.keys('2')
    await term.waitFor('REPLICAS:LAG')
    term.resize(110, 30)
    screen = await term.waitFor((s) => s.split('\n')[28]?.includes('? help') ?? false)
    expect(Math.max(...screen.split('\n').map((l) => l.length))).toBeGreaterThan(80)

    term.keys('q')
    await term.waitFor('ssh exited: 0')
    await expect.poll(() => srv.sessions()).toBe(0)
  }, 60_000)

  it('a key marked shoal-read-only gets the console with actions refused', async () => {
    const keys = tempDir()
    const bob = keygen(keys, 'bob')
    const { srv } = await server({ authorized: `shoal-read-only ${bob.pub}\n` })
    const term = sshInTmux(bob.file, srv.address().port)
    await term.waitFor('READ-ONLY', 20_000)
    term.keys('2')
    await term.waitFor('REPLICAS:LAG')
    term.keys('m')
    await term.waitFor('This console is read-only: pin, unpin, move, promote and drill are refused.')
  }, 60_000)

  it('an unknown key is refused at login', async () => {
    const keys = tempDir()
    const alice = keygen(keys, 'alice')
    const mallory = keygen(keys, 'mallory')
    const { srv } = await server({ authorized: `${alice.pub}\n` })
    const result = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = execFile('ssh', [...sshArgs(mallory.file, srv.address().port), '-T', 'operator@127.0.0.1'], { env: { ...process.env, SSH_AUTH_SOCK: '' }, timeout: 20_000 }, (err, _out, stderr) => {
        resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, stderr })
      })
      child.stdin?.end()
    })
    expect(result.code).toBe(255)
    expect(result.stderr).toMatch(/Permission denied \(publickey\)/)
    expect(srv.sessions()).toBe(0)
  }, 30_000)

  it('two sessions at once: one quitting leaves the other running', async () => {
    const keys = tempDir()
    const alice = keygen(keys, 'alice')
    const { srv, fake } = await server({ authorized: `${alice.pub}\n` })
    const one = sshInTmux(alice.file, srv.address().port)
    const two = sshInTmux(alice.file, srv.address().port, 100, 30)
    await one.waitFor(/node-5\s+b\s+alive/, 20_000)
    await two.waitFor(/node-5\s+b\s+alive/, 20_000)
    expect(srv.sessions()).toBe(2)
    one.keys('q')
    await one.waitFor('ssh exited: 0')
    await expect.poll(() => srv.sessions()).toBe(1)
    fake.setNodeStatus('node-4', 'dead')
    await two.waitFor(/node-4\s+a\s+dead/)
    two.close()
    await expect.poll(() => srv.sessions(), { timeout: 10_000 }).toBe(0)
  }, 60_000)
})
