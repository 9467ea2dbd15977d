import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { onTestFinished } from 'vitest'
import { AppSupervisor, type AppSupervisorOptions } from '../../src/runtime/supervisor.js'

export const FIXTURE = path.join(import.meta.dirname, 'fixtures', 'app.mjs')

export function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shoal-rt-'))
  onTestFinished(() => fs.rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** A supervisor for the fixture app, stopped when the test ends. */
export function fixtureApp(mode: string, opts: Partial<AppSupervisorOptions> = {}): AppSupervisor {
  const sup = new AppSupervisor({
    app: `app-${mode}`,
    cmd: `exec node ${JSON.stringify(FIXTURE)}`,
    dataDir: tempDir(),
    nodeName: 'node-test',
    health: 'http:/health',
    stopGraceMs: 2_000,
    backoff: { initialMs: 20, maxMs: 200, jitter: 0 },
    ...opts,
    env: { APP_MODE: mode, ...opts.env }
  })
  onTestFinished(() => sup.stop())
  return sup
}

/** True while the process exists and is not a zombie. */
export function alive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z'
  } catch {
    return false
  }
}

export async function until(cond: () => boolean | Promise<boolean>, stepMs = 20): Promise<void> {
  while (!(await cond())) await new Promise((r) => setTimeout(r, stepMs))
}

export async function getJson(port: number, p = '/'): Promise<Record<string, unknown>> {
  const res = await fetch(`http://127.0.0.1:${port}${p}`)
  return (await res.json()) as Record<string, unknown>
}
