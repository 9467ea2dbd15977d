import { spawn } from 'node:child_process'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SHOAL_BIN, shoal, startCluster, type NodeProc } from '../helpers/processes.js'
import { waitFor } from '../helpers/wait.js'

// Prints a line every 100 ms and answers its health check.
const CHATTY_APP = `node -e 'setInterval(() => console.log(1), 100); require("http").createServer((q, s) => s.end()).listen(process.env.PORT, "127.0.0.1")'`

let cluster: Awaited<ReturnType<typeof startCluster>> | null = null
let node: NodeProc

beforeAll(async () => {
  cluster = await startCluster()
  node = cluster.start('a')
  await cluster.waitAlive(node, ['a'])
  const added = await shoal(['app', 'add', 'chatty', '--home', node.home, '--cmd', CHATTY_APP, '--http-host', 'chatty.test', '--health', 'http:/', '--replicas', '1'])
  expect(added.stderr).toBe('')
  expect(added.code).toBe(0)
}, 60_000)

afterAll(async () => {
  await cluster?.close()
  cluster = null
})

/** Starts a following command, waits until it has printed what `ready` looks for. */
async function following(args: string[], ready: RegExp) {
  const proc = spawn(process.execPath, [SHOAL_BIN, ...args, '--home', node.home], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  proc.stdout.on('data', (d) => (stdout += d))
  proc.stderr.on('data', (d) => (stderr += d))
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })))
  await waitFor(() => ready.test(stdout), () => `${args.join(' ')} to print ${ready} (printed: ${JSON.stringify(stdout + stderr)})`, 30_000)
  return { proc, exited, stderr: () => stderr }
}

describe('following commands stop on the first signal', () => {
  it.each([
    ['events', 'SIGTERM', ['events'], /a joined/],
    ['events', 'SIGINT', ['events'], /a joined/],
    ['logs -f', 'SIGTERM', ['logs', 'chatty', '-f'], /stdout\s+1\n/],
    ['logs -f', 'SIGINT', ['logs', 'chatty', '-f'], /stdout\s+1\n/]
  ] as const)('`shoal %s` ends within 2 s of one %s, exit 0, no error', async (_name, signal, args, ready) => {
    const cmd = await following([...args], ready)
    const sentAt = Date.now()
    cmd.proc.kill(signal)
    const exit = await Promise.race([cmd.exited, new Promise<'still running'>((r) => setTimeout(() => r('still running'), 2000))])
    if (exit === 'still running') cmd.proc.kill('SIGKILL')
    expect(exit).toEqual({ code: 0, signal: null })
    expect(Date.now() - sentAt).toBeLessThan(2000)
    expect(cmd.stderr()).toBe('')
    // The node is unharmed by the client going away.
    expect((await shoal(['status', '--home', node.home])).code).toBe(0)
  })
})
