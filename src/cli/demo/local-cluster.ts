import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ShoalError } from '../../core/errors.js'
import { newClusterKey } from '../../mesh/admission.js'

const SHOAL_BIN = fileURLToPath(new URL('../../../bin/shoal.js', import.meta.url))
const START_TIMEOUT_MS = 15_000
const STOP_GRACE_MS = 3000

export interface DemoNode {
  name: string
  zone: string
  home: string
  httpPort: number
  proc: ChildProcess
}

/**
 * A bootstrap and N `shoal up` processes on 127.0.0.1, each in its own zone, in a temporary
 * folder. `stop()` ends every process it started and removes the folder.
 */
export class LocalCluster {
  readonly nodes: DemoNode[] = []
  private bootstrap: ChildProcess | null = null
  private root = ''
  bootstrapAddress = ''
  readonly key = newClusterKey().toString('hex')

  async start(opts: { names: string[]; zones: string[]; firstHttpPort: number; log: (line: string) => void; extra?: (i: number, home: string) => string[] }): Promise<void> {
    this.root = await mkdtemp(join(tmpdir(), 'shoal-demo-'))
    this.bootstrap = spawn(process.execPath, [SHOAL_BIN, 'bootstrap', '--host', '127.0.0.1', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] })
    this.bootstrapAddress = await waitForLine(this.bootstrap, /listening on (\S+)/)
    opts.names.forEach((name, i) => {
      const zone = opts.zones[i % opts.zones.length]!
      const home = join(this.root, name)
      const httpPort = opts.firstHttpPort + i
      const args = ['up', '--home', home, '--cluster', this.key, '--name', name, '--zone', zone, '--bootstrap', this.bootstrapAddress, '--host', '127.0.0.1', '--http-port', String(httpPort), '--port-offset', String(i * 100), ...(opts.extra?.(i, home) ?? [])]
      const proc = spawn(process.execPath, [SHOAL_BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
      proc.stderr!.on('data', (d: Buffer) => opts.log(`${name}: ${d.toString().trim()}`))
      this.nodes.push({ name, zone, home, httpPort, proc })
    })
    await Promise.all(this.nodes.map((n) => waitForLine(n.proc, /is up/)))
  }

  async stop(): Promise<void> {
    const all = [...this.nodes.map((n) => n.proc), ...(this.bootstrap ? [this.bootstrap] : [])]
    await Promise.all(all.map((p) => stopProcess(p)))
    if (this.root) await rm(this.root, { recursive: true, force: true })
  }
}

function waitForLine(proc: ChildProcess, pattern: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = ''
    const timer = setTimeout(() => reject(new ShoalError('INTERNAL', `a demo process did not start in time:\n${out}`)), START_TIMEOUT_MS)
    const onData = (d: Buffer) => {
      out += d.toString()
      const m = pattern.exec(out)
      if (m) {
        clearTimeout(timer)
        proc.stdout!.off('data', onData)
        resolve(m[1] ?? m[0])
      }
    }
    proc.stdout!.on('data', onData)
    proc.once('exit', (code) => {
      clearTimeout(timer)
      reject(new ShoalError('INTERNAL', `a demo process exited (${code}) before it was up:\n${out}`))
    })
  })
}

async function stopProcess(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return
  const exited = new Promise<void>((resolve) => p.once('exit', () => resolve()))
  p.kill('SIGTERM')
  const timer = setTimeout(() => p.kill('SIGKILL'), STOP_GRACE_MS)
  await exited
  clearTimeout(timer)
}
