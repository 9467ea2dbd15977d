/**
 * Console benchmark on a simulated cluster of 100 nodes and 1000 apps (`npm run bench:console`):
 *  - idle CPU: the full console (polling every POLL_MS, live load) for IDLE_MS with no keys;
 *  - frame time: synchronous re-renders of the screen over many updates (new poll data, cursor
 *    moves, view switches, details), each measured from new state to terminal output written.
 * Goals: median frame ≤ 16 ms, idle < 2 % of a core. Knobs: IDLE_MS, FRAMES, POLL_MS.
 *
 * Run through tsx, the script first bundles itself with esbuild into plain JavaScript and runs
 * that with node and NODE_ENV=production, as `shoal` runs: tsx's loader thread alone costs more
 * than 1 % of a core and React's development build several times the frame time.
 */
import { spawn } from 'node:child_process'
import { cpus, loadavg } from 'node:os'
import { fileURLToPath } from 'node:url'
import { Writable } from 'node:stream'
import { createElement } from 'react'
import { Box, render, Text } from 'ink'
import { ConsoleScreen } from '../src/console/ConsoleScreen.js'
import { consoleReducer, initialState, type ConsoleAction, type ConsoleState } from '../src/console/console-reducer.js'
import { FakeCluster } from '../src/console/fake-source.js'
import { recordLoad, type LoadHistory } from '../src/console/load-history.js'
import { PaintContext } from '../src/console/paint-context.js'
import { painter } from '../src/console/paint.js'
import { runConsole } from '../src/console/run-console.js'
import { screenRows } from '../src/console/screen-rows.js'
import { TerminalInput } from '../src/console/terminal-input.js'
import { TerminalOutput } from '../src/console/terminal-output.js'
import type { ClusterPoll } from '../src/console/use-cluster-poll.js'

if (!process.env.SHOAL_BENCH_CHILD) process.exit(await runBundled())

async function runBundled(): Promise<number> {
  const { build } = (await import('esbuild')) as unknown as { build: (o: Record<string, unknown>) => Promise<unknown> }
  const outfile = fileURLToPath(new URL('../node_modules/.cache/shoal-bench/bench-console.mjs', import.meta.url))
  await build({ entryPoints: [fileURLToPath(import.meta.url)], bundle: true, platform: 'node', format: 'esm', packages: 'external', jsx: 'automatic', outfile, logLevel: 'warning' })
  const child = spawn(process.execPath, [outfile], { stdio: 'inherit', env: { ...process.env, NODE_ENV: 'production', SHOAL_BENCH_CHILD: '1' } })
  return new Promise((resolve) => child.on('exit', (code) => resolve(code ?? 1)))
}

const NODES = 100
const APPS = 1000
const IDLE_MS = Number(process.env.IDLE_MS ?? 10_000)
const WARMUP_MS = 3000
const FRAMES = Number(process.env.FRAMES ?? 400)
const SIZES: Array<[number, number]> = [[80, 24], [120, 40]]
const [COLUMNS, ROWS] = SIZES[1]!

let written = 0
let lastFrame = ''
const sink = new Writable({ write(chunk: Buffer | string, _enc, cb) { written += chunk.length; lastFrame = String(chunk); cb() } })
const terminal = (columns = COLUMNS, rows = ROWS) => new TerminalOutput(sink, columns, rows) as unknown as NodeJS.WriteStream

/** CPU of this process doing nothing (the TypeScript loader's thread included), for comparison. */
async function baselineCpu(ms: number): Promise<number> {
  const before = process.cpuUsage()
  const t0 = performance.now()
  await new Promise((r) => setTimeout(r, ms))
  const used = process.cpuUsage(before)
  return ((used.user + used.system) / 1000 / (performance.now() - t0)) * 100
}

async function idleCpu(): Promise<{ percent: number; bytesPerSecond: number }> {
  const fake = new FakeCluster({ nodes: NODES, apps: APPS, stepMs: 0 })
  const input = new TerminalInput()
  const done = runConsole(fake, { pollMs: process.env.POLL_MS ? Number(process.env.POLL_MS) : undefined, readOnly: false, stdin: input as unknown as NodeJS.ReadStream, stdout: terminal(), color: true, ownsProcess: false })
  await new Promise((r) => setTimeout(r, WARMUP_MS))
  const before = process.cpuUsage()
  const bytesBefore = written
  const t0 = performance.now()
  await new Promise((r) => setTimeout(r, IDLE_MS))
  const used = process.cpuUsage(before)
  const elapsed = performance.now() - t0
  const bytes = written - bytesBefore
  input.write('q')
  await done
  fake.close()
  return { percent: ((used.user + used.system) / 1000 / elapsed) * 100, bytesPerSecond: (bytes / elapsed) * 1000 }
}

/** Wall-clock and CPU milliseconds of each frame: on a shared machine the two differ. */
async function frameTimes(columns: number, height: number): Promise<{ wall: number[]; cpu: number[] }> {
  const fake = new FakeCluster({ nodes: NODES, apps: APPS, stepMs: 0 })
  let history: LoadHistory = new Map()
  const poll = async (): Promise<ClusterPoll> => {
    const status = await fake.status()
    const { apps } = await fake.apps()
    history = recordLoad(history, status.nodes)
    return { nodes: status.nodes, apps, selfId: status.self, history, error: null, loaded: true }
  }
  const detail = { app: 'web-1', snapshots: await fake.snapshots('web-1'), logs: await fake.logs('web-1', 50), error: null }
  const events = Array.from({ length: 500 }, (_, i) => ({ at: Date.now() - (500 - i) * 1000, kind: 'move' as const, app: 'web-1', message: `web-1 moved node-${i % 100} → node-${(i + 1) % 100}, paused ${i % 90} ms` }))
  const paint = painter(true)
  const frame = (state: ConsoleState, p: ClusterPoll) => {
    const rows = screenRows(state, { nodes: p.nodes, apps: p.apps, events })
    return createElement(PaintContext.Provider, { value: paint },
      createElement(ConsoleScreen, { state, rows, poll: p, appDetail: detail, size: { columns, rows: height }, now: Date.now() }))
  }
  let state = initialState({ readOnly: false })
  let p = await poll()
  const ink = render(frame(state, p), { stdout: terminal(columns, height), stdin: new TerminalInput() as unknown as NodeJS.ReadStream, debug: true, patchConsole: false, exitOnCtrlC: false })
  const script: ConsoleAction[] = [
    { type: 'cursor', delta: 1, count: NODES },
    { type: 'view', view: 'apps' },
    { type: 'cursor', delta: 7, count: APPS },
    { type: 'sort-next' },
    { type: 'open-details', details: { kind: 'app', name: 'web-1' } },
    { type: 'back' },
    { type: 'view', view: 'events' },
    { type: 'view', view: 'nodes' },
    { type: 'sort-next' }
  ]
  const wall: number[] = []
  const cpu: number[] = []
  for (let i = 0; i < FRAMES; i++) {
    // Half the frames bring a new poll (100 nodes, 1000 apps changed), half a key.
    if (i % 2 === 0) p = await poll()
    else state = consoleReducer(state, script[i % script.length]!)
    const c0 = process.cpuUsage()
    const t0 = performance.now()
    ink.rerender(frame(state, p))
    wall.push(performance.now() - t0)
    const c = process.cpuUsage(c0)
    cpu.push((c.user + c.system) / 1000)
  }
  if (!lastFrame.includes('Shoal') || lastFrame.includes('too small')) throw new Error(`the benchmark did not draw the console:\n${lastFrame}`)
  ink.unmount()
  fake.close()
  return { wall, cpu }
}

/**
 * Ink's own cost for a frame of the same size holding plain text that changes every frame:
 * the floor no console can go under, measured now, on this machine, for comparison.
 */
function floorFrame(columns: number, height: number): number {
  const screen = (k: number) => createElement(Box, { flexDirection: 'column', width: columns, height: height - 1 },
    ...Array.from({ length: height - 1 }, (_, i) => createElement(Text, { key: i }, `${String(i * 7 + k).padStart(8)} ${'x'.repeat(columns - 10)}`)))
  const ink = render(screen(0), { stdout: terminal(columns, height), stdin: new TerminalInput() as unknown as NodeJS.ReadStream, debug: true, patchConsole: false, exitOnCtrlC: false })
  const cpu: number[] = []
  for (let k = 1; k <= 200; k++) {
    const c0 = process.cpuUsage()
    ink.rerender(screen(k))
    const c = process.cpuUsage(c0)
    cpu.push((c.user + c.system) / 1000)
  }
  ink.unmount()
  return quantile(cpu.sort((a, b) => a - b), 0.5)
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!
}

const baseline = await baselineCpu(3000)
const idle = await idleCpu()
console.log(`console bench: ${NODES} nodes, ${APPS} apps, NODE_ENV=${process.env.NODE_ENV ?? '(unset)'}, load average ${loadavg()[0]!.toFixed(1)} on ${cpus().length} cores`)
let ok = idle.percent < 2
for (const [columns, rows] of SIZES) {
  const frames = await frameTimes(columns, rows)
  const wall = frames.wall.sort((a, b) => a - b)
  const cpu = frames.cpu.sort((a, b) => a - b)
  const median = quantile(wall, 0.5)
  if (columns === COLUMNS) ok &&= median <= 16
  console.log(`frame render ${columns}x${rows}: median ${median.toFixed(2)} ms, p99 ${quantile(wall, 0.99).toFixed(2)} ms over ${wall.length} frames; CPU per frame median ${quantile(cpu, 0.5).toFixed(2)} ms, p99 ${quantile(cpu, 0.99).toFixed(2)} ms (goal: median <= 16 ms) ${median <= 16 ? 'OK' : 'OVER'}; Ink alone, plain text of that size: ${floorFrame(columns, rows).toFixed(2)} ms CPU`)
}
console.log(`idle ${COLUMNS}x${ROWS}: ${idle.percent.toFixed(2)} % of one core over ${(IDLE_MS / 1000).toFixed(0)} s, ${Math.round(idle.bytesPerSecond)} bytes/s to the terminal (goal: < 2 %) ${idle.percent < 2 ? 'OK' : 'OVER'}; the process alone, before the console opened: ${baseline.toFixed(2)} %`)
process.exit(ok ? 0 : 1)
