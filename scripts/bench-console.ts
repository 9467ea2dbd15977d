/**
 * Console benchmark on a simulated cluster of 100 nodes and 1000 apps (`npm run bench:console`):
 *  - idle CPU: the full console (polling every POLL_MS, live load) for IDLE_MS with no keys;
 *  - frame time: synchronous re-renders of the screen over many updates (new poll data, cursor
 *    moves, view switches, details), each measured from new state to terminal output written.
 * Goals: median frame ≤ 16 ms, idle < 2 % of a core.
 */
import { cpus, loadavg } from 'node:os'
import { Writable } from 'node:stream'
import { createElement } from 'react'
import { render } from 'ink'
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

const NODES = 100
const APPS = 1000
const IDLE_MS = Number(process.env.IDLE_MS ?? 10_000)
const WARMUP_MS = 3000
const FRAMES = Number(process.env.FRAMES ?? 400)
const COLUMNS = 120
const ROWS = 40

let written = 0
const sink = new Writable({ write(chunk: Buffer | string, _enc, cb) { written += chunk.length; cb() } })
const terminal = () => new TerminalOutput(sink, COLUMNS, ROWS) as unknown as NodeJS.WriteStream

async function idleCpu(): Promise<{ percent: number; bytesPerSecond: number }> {
  const fake = new FakeCluster({ nodes: NODES, apps: APPS, stepMs: 0 })
  const input = new TerminalInput()
  const done = runConsole(fake, { readOnly: false, stdin: input as unknown as NodeJS.ReadStream, stdout: terminal(), color: true, ownsProcess: false })
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
async function frameTimes(): Promise<{ wall: number[]; cpu: number[] }> {
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
      createElement(ConsoleScreen, { state, rows, poll: p, appDetail: detail, size: { columns: COLUMNS, rows: ROWS }, now: Date.now() }))
  }
  let state = initialState({ readOnly: false })
  let p = await poll()
  const ink = render(frame(state, p), { stdout: terminal(), stdin: new TerminalInput() as unknown as NodeJS.ReadStream, debug: true, patchConsole: false, exitOnCtrlC: false })
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
  ink.unmount()
  fake.close()
  return { wall, cpu }
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!
}

const idle = await idleCpu()
const frames = await frameTimes()
const times = frames.wall.sort((a, b) => a - b)
const cpuTimes = frames.cpu.sort((a, b) => a - b)
const median = quantile(times, 0.5)
const p99 = quantile(times, 0.99)
const [load1] = loadavg()
console.log(`console bench: ${NODES} nodes, ${APPS} apps, ${COLUMNS}x${ROWS} terminal, NODE_ENV=${process.env.NODE_ENV ?? '(unset)'}, load average ${load1!.toFixed(1)} on ${cpus().length} cores`)
console.log(`frame render: median ${median.toFixed(2)} ms, p99 ${p99.toFixed(2)} ms, max ${times.at(-1)!.toFixed(2)} ms over ${times.length} frames (goal: median <= 16 ms) ${median <= 16 ? 'OK' : 'OVER'}`)
console.log(`frame CPU time: median ${quantile(cpuTimes, 0.5).toFixed(2)} ms, p99 ${quantile(cpuTimes, 0.99).toFixed(2)} ms`)
console.log(`idle: ${idle.percent.toFixed(2)} % of one core over ${(IDLE_MS / 1000).toFixed(0)} s, ${Math.round(idle.bytesPerSecond)} bytes/s to the terminal (goal: < 2 %) ${idle.percent < 2 ? 'OK' : 'OVER'}`)
process.exit(median <= 16 && idle.percent < 2 ? 0 : 1)
