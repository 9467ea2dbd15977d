import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { onTestFinished } from 'vitest'
import { ControlClient } from '../../src/control/client.js'
import type { ClusterEvent, StatusResult } from '../../src/control/types.js'
import { privateBootstrap } from './testnet.js'
import { waitFor } from './wait.js'

export const SHOAL_BIN = fileURLToPath(new URL('../../bin/shoal.js', import.meta.url))

export interface NodeProc {
  name: string
  home: string
  proc: ChildProcess
  output: () => string
  exited: Promise<number | null>
}

/** Runs the shoal CLI to completion: exit code, stdout, stderr. */
export function shoal(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [SHOAL_BIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    p.stdout.on('data', (d) => (stdout += d))
    p.stderr.on('data', (d) => (stderr += d))
    p.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}

/** Runs `shoal ARGS` (with --json among them) and parses the last line it printed; throws when it fails. */
export async function shoalJson(args: string[]): Promise<any> {
  const r = await shoal(args)
  if (r.code !== 0) throw new Error(`shoal ${args.join(' ')} failed (${r.code}): ${r.stderr}`)
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!)
}

/** The example HTTP app (examples/http-counter). */
export const COUNTER_APP = fileURLToPath(new URL('../../examples/http-counter/server.mjs', import.meta.url))

/**
 * A cluster of real `shoal up` processes on a private bootstrap, all bound to 127.0.0.1.
 * `close()` kills whatever is left and removes the homes; tests call it in afterEach.
 */
export async function startCluster(opts: { key?: string } = {}) {
  const root = mkdtempSync(join(tmpdir(), 'shoal-'))
  const boot = await privateBootstrap()
  const key = opts.key ?? 'c1'.repeat(32)
  const nodes: NodeProc[] = []
  const clients: ControlClient[] = []

  function start(name: string, extra: string[] = [], clusterKey = key): NodeProc {
    const home = join(root, name)
    const proc = spawn(process.execPath, ['--stack-trace-limit=50', SHOAL_BIN, 'up', '--home', home, '--cluster', clusterKey, '--name', name, '--bootstrap', boot.arg, '--host', '127.0.0.1', ...extra], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NODE_DEBUG: process.env.SHOAL_TEST_DEBUG ? 'shoal' : '' }
    })
    let out = ''
    proc.stdout!.on('data', (d) => (out += d))
    proc.stderr!.on('data', (d) => (out += d))
    const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)))
    const n: NodeProc = { name, home, proc, output: () => out, exited }
    nodes.push(n)
    return n
  }

  async function client(n: NodeProc): Promise<ControlClient> {
    const c = await waitFor(() => ControlClient.connect(n.home), `${n.name}'s control socket`)
    clients.push(c)
    return c
  }

  async function status(n: NodeProc): Promise<StatusResult> {
    const c = await ControlClient.connect(n.home)
    try {
      return await c.status()
    } finally {
      c.close()
    }
  }

  /** Waits until `n` sees exactly the named nodes alive. */
  async function waitAlive(n: NodeProc, names: string[], timeoutMs = 20_000): Promise<number> {
    const t0 = Date.now()
    const want = [...names].sort().join(',')
    await waitFor(async () => {
      const s = await status(n)
      return s.nodes.filter((x) => x.status === 'alive').map((x) => x.name).sort().join(',') === want
    }, `${n.name} to see ${want} alive`, timeoutMs).catch((err: Error) => {
      throw new Error(`${err.message}\n--- ${n.name} (exit ${n.proc.exitCode}, signal ${n.proc.signalCode}) output ---\n${n.output()}`)
    })
    return Date.now() - t0
  }

  /** Collects events from a node's stream into an array (live). */
  async function recordEvents(n: NodeProc): Promise<ClusterEvent[]> {
    const c = await client(n)
    const seen: ClusterEvent[] = []
    const it = c.events()
    void (async () => {
      try {
        for await (const e of it) seen.push(e)
      } catch {
        // the node went away; the test judges what was seen
      }
    })()
    return seen
  }

  async function close(): Promise<void> {
    for (const c of clients) c.close()
    for (const n of nodes) if (n.proc.exitCode === null && n.proc.signalCode === null) n.proc.kill('SIGKILL')
    await Promise.all(nodes.map((n) => n.exited))
    await boot.close()
    rmSync(root, { recursive: true, force: true })
  }

  return { root, key, boot, nodes, start, client, status, waitAlive, recordEvents, close }
}

/** startCluster, closed when the test ends, whether it passed or not. */
export async function clusterForTest(opts: { key?: string } = {}): Promise<Awaited<ReturnType<typeof startCluster>>> {
  const cluster = await startCluster(opts)
  onTestFinished(() => cluster.close())
  return cluster
}
