// bench:migration — live moves of an app with a 100 MiB volume under constant write load.
//
// Starts a private three-node cluster on 127.0.0.1 (real `shoal up` processes from dist/), adds
// scripts/fixtures/hot-volume-app.mjs seeded with ~100 MiB of incompressible files, drives a
// constant POST load through every node (each write also rewrites part of a hot 1 MiB file),
// moves the app back and forth N times and reports the pause p50/p99/max, failed requests and
// lost acknowledged writes, next to the app's own cold start measured in the same run.
//
//   npm run bench:migration [-- --moves 20 --bulk-mib 100 --clients 4 --gap-ms 10 --json --no-standby]
// (--no-standby: nodes keep no standby copy on replicas, see `shoal up --no-standby`)
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync, cpSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { shoal, startCluster } from '../test/helpers/processes.js'
import { request } from '../test/helpers/http.js'
import { waitFor } from '../test/helpers/wait.js'
import { missing, percentile, WriteLoad } from '../test/helpers/write-load.js'

const APP = fileURLToPath(new URL('./fixtures/hot-volume-app.mjs', import.meta.url))
const HOST = 'bulk.bench'
/** The whole run gives up after this long. */
const DEADLINE_MS = 15 * 60_000
const COLD_STARTS = 5

const { values: opt } = parseArgs({
  options: {
    moves: { type: 'string', default: '20' },
    'bulk-mib': { type: 'string', default: '100' },
    clients: { type: 'string', default: '4' },
    'gap-ms': { type: 'string', default: '10' },
    json: { type: 'boolean', default: false },
    'no-standby': { type: 'boolean', default: false }
  }
})
const MOVES = Number(opt.moves)
const BULK_MIB = Number(opt['bulk-mib'])
const log = (s: string) => (opt.json ? process.stderr.write(`${s}\n`) : console.log(s))

async function main(): Promise<Record<string, unknown>> {
  const work = mkdtempSync(join(tmpdir(), 'shoal-bench-mig-'))
  const seed = join(work, 'seed')
  makeSeed(seed, BULK_MIB)
  log(`seed: ${BULK_MIB} MiB in ${BULK_MIB} files + a 1 MiB hot file`)
  const coldStartMs = await coldStart(seed, join(work, 'cold'))
  log(`app cold start (median of ${COLD_STARTS}): ${coldStartMs} ms`)

  const cluster = await startCluster()
  let load: WriteLoad | null = null
  stopAll = async () => {
    await load?.stop()
    await cluster.close()
    rmSync(work, { recursive: true, force: true })
  }
  try {
    const nodes = ['a', 'b', 'c'].map((n, i) => cluster.start(n, ['--port-offset', String(i * 10), ...(opt['no-standby'] ? ['--no-standby'] : [])]))
    for (const n of nodes) await cluster.waitAlive(n, ['a', 'b', 'c'], 60_000)
    const ports = (await cluster.status(nodes[0]!)).nodes.map((n) => n.httpPort)
    const added = await shoal(['app', 'add', 'bulk', '--home', nodes[0]!.home, '--cmd', `node ${APP}`, '--http-host', HOST, '--health', 'http:/health', '--replicas', '2', '--data', seed])
    if (added.code !== 0) throw new Error(`app add failed: ${added.stderr}`)
    const t0 = Date.now()
    const ctl = await cluster.client(nodes[0]!)
    const app = async () => (await ctl.apps()).apps.find((a) => a.name === 'bulk')!
    await waitFor(async () => (await request(ports[0]!, HOST, { path: '/health' })).status === 200, 'the app to answer', 300_000, 200)
    await waitFor(async () => (await app()).replicas.every((r) => r.lagMs === 0), 'the replica to hold the seed', 300_000, 200)
    log(`app running with its replica in sync after ${Date.now() - t0} ms`)

    load = new WriteLoad({ ports, host: HOST, clients: Number(opt.clients), mixKeepAlive: true, gapMs: Number(opt['gap-ms']) })
    await load.waitAcked(50, 30_000)
    const first = await app()
    const ends = [first.master, first.replicas[0]!.node]
    // shoalMs: the pause minus the app's own start on the target in that move: what Shoal adds.
    const moves: Array<{ to: string; pauseMs: number; finalDeltaBytes: number; totalMs: number; shoalMs: number }> = []
    const busyColdStarts: number[] = []
    for (let i = 0; i < MOVES; i++) {
      const to = ends[(i + 1) % 2]!
      const master = nodes.find((n) => n.name === (i === 0 ? first.master : ends[i % 2]))!
      const c = await cluster.client(master)
      const started = Date.now()
      let result: Record<string, unknown> | null = null
      // Where the pause goes: ms from the pause to each later step, as the events arrive here.
      const steps: string[] = []
      let pausedAt = 0
      let appStartMs = NaN
      for await (const e of c.move('bulk', to)) {
        if (e.tag === 'result') result = e.data as Record<string, unknown>
        else if (e.tag === 'pause') pausedAt = performance.now()
        else if (pausedAt > 0) {
          // The final and health events say where their time went (drain, stop, snapshot, ship; restore, start).
          const d = e.data as Record<string, unknown>
          if (e.tag === 'health' && typeof d.startMs === 'number') appStartMs = d.startMs
          const parts = Object.entries(d).filter(([k]) => k.endsWith('Ms')).map(([k, v]) => `${k.slice(0, -2)} ${v}`)
          steps.push(`${e.tag} +${Math.round(performance.now() - pausedAt)}${parts.length ? ` [${parts.join(' ')}]` : ''}`)
        }
      }
      c.close()
      if (result === null || result.ok !== true) throw new Error(`move ${i + 1} to ${to} failed: ${JSON.stringify(result)}`)
      moves.push({ to, pauseMs: Number(result.pauseMs), finalDeltaBytes: Number(result.finalDeltaBytes), totalMs: Date.now() - started, shoalMs: Number(result.pauseMs) - appStartMs })
      log(`move ${String(i + 1).padStart(2)} → ${to}: pause ${result.pauseMs} ms, final delta ${kib(Number(result.finalDeltaBytes))}, whole move ${Date.now() - started} ms (${steps.join(', ')})`)
      await load.waitAcked(20, 30_000)
      // The floor, measured again under the conditions the moves meet: the cluster running
      // beside it, the write load on, and the data the app had at this move (its records grow
      // over the run, and it reads them all at start). The node it left holds that data, stopped.
      for (const f of ['records.jsonl', 'hot.bin']) {
        const from = join(master.home, 'apps', 'bulk', 'live', f)
        if (existsSync(from)) cpSync(from, join(work, 'cold', f))
      }
      busyColdStarts.push(await coldStartOnce(join(work, 'cold')))
    }
    await load.stop()
    const held = JSON.parse((await request(ports[2]!, HOST, { path: '/records', timeoutMs: 30_000 })).body).records.map((r: { body: string }) => r.body)
    const lost = missing(load.acked, held)
    const pauses = moves.map((m) => m.pauseMs)
    const busyColdStartMs = percentile(busyColdStarts, 50)
    const summary = {
      moves: moves.length,
      bulkMiB: BULK_MIB,
      coldStartMs,
      busyColdStartMs,
      busyColdStartP99Ms: percentile(busyColdStarts, 99),
      pauseP50Ms: percentile(pauses, 50),
      pauseP99Ms: percentile(pauses, 99),
      pauseMaxMs: Math.max(...pauses),
      shoalShareP50Ms: percentile(moves.map((m) => m.shoalMs), 50),
      shoalShareP99Ms: percentile(moves.map((m) => m.shoalMs), 99),
      finalDeltaP50Bytes: percentile(moves.map((m) => m.finalDeltaBytes), 50),
      moveP50Ms: percentile(moves.map((m) => m.totalMs), 50),
      writesAttempted: load.attempted,
      writesAcked: load.acked.length,
      failedRequests: load.failures.length,
      lostWrites: lost.length,
      goalMet: percentile(pauses, 99) <= busyColdStartMs + 100 && load.failures.length === 0 && lost.length === 0,
      goalMetAgainstQuietColdStart: percentile(pauses, 99) <= coldStartMs + 100 && load.failures.length === 0 && lost.length === 0
    }
    if (load.failures.length > 0) log(`failures (first 5): ${JSON.stringify(load.failures.slice(0, 5))}`)
    return summary
  } finally {
    await stopAll()
    stopAll = async () => undefined
  }
}

/** Kills every process this run started and removes its files (also on the deadline or ^C). */
let stopAll = async (): Promise<void> => undefined

/** `mib` files of 1 MiB of random bytes (no dedup, no compression helps) in bulk/. */
function makeSeed(dir: string, mib: number): void {
  mkdirSync(join(dir, 'bulk'), { recursive: true })
  for (let i = 0; i < mib; i++) writeFileSync(join(dir, 'bulk', `part-${String(i).padStart(3, '0')}.bin`), randomBytes(1024 * 1024))
  writeFileSync(join(dir, 'hot.bin'), randomBytes(1024 * 1024))
}

/** The app started by hand on a copy of the seed: ms from spawn to its first 200 on /health. */
async function coldStart(seed: string, dir: string): Promise<number> {
  cpSync(seed, dir, { recursive: true })
  const times: number[] = []
  for (let i = 0; i < COLD_STARTS; i++) times.push(await coldStartOnce(dir))
  return percentile(times, 50)
}

/** Starts the app on `dir` (a copy of its data), as its own command would, until /health answers. */
async function coldStartOnce(dir: string): Promise<number> {
  const port = await freePort()
  const t0 = performance.now()
  const child = spawn(process.execPath, [APP], { env: { ...process.env, PORT: String(port), SHOAL_DATA: dir }, stdio: 'ignore' })
  try {
    await waitFor(async () => (await request(port, HOST, { path: '/health', timeoutMs: 1000 })).status === 200, 'the app to start', 30_000, 5)
    return Math.round(performance.now() - t0)
  } finally {
    child.kill('SIGKILL')
    await new Promise((r) => child.once('exit', r))
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number }
      s.close(() => resolve(port))
    })
  })
}

const kib = (n: number) => `${(n / 1024).toFixed(0)} KiB`

function table(s: Record<string, unknown>): string {
  const rows: Array<[string, string]> = [
    ['moves', String(s.moves)],
    ['volume', `${s.bulkMiB} MiB + 1 MiB hot`],
    ['app cold start, quiet machine, on its seed data (median of 5)', `${s.coldStartMs} ms`],
    ['app cold start beside the cluster, on its data of the moment (median / p99, one per move)', `${s.busyColdStartMs} / ${s.busyColdStartP99Ms} ms`],
    ['pause p50', `${s.pauseP50Ms} ms`],
    ['pause p99', `${s.pauseP99Ms} ms`],
    ['pause max', `${s.pauseMaxMs} ms`],
    ["Shoal's share of the pause (minus the app's start on the target) p50 / p99", `${s.shoalShareP50Ms} / ${s.shoalShareP99Ms} ms`],
    ['final delta p50', kib(Number(s.finalDeltaP50Bytes))],
    ['whole move p50', `${s.moveP50Ms} ms`],
    ['writes acked / attempted', `${s.writesAcked} / ${s.writesAttempted}`],
    ['failed requests', String(s.failedRequests)],
    ['lost writes', String(s.lostWrites)],
    ['goal (p99 ≤ cold start beside the cluster + 100 ms, 0 failed)', s.goalMet ? 'met' : 'NOT met'],
    ['same against the quiet-machine cold start', s.goalMetAgainstQuietColdStart ? 'met' : 'NOT met']
  ]
  const w = Math.max(...rows.map((r) => r[0].length))
  return rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join('\n')
}

function giveUp(why: string): void {
  console.error(`bench:migration: ${why}`)
  stopAll().finally(() => process.exit(2))
}
const timer = setTimeout(() => giveUp(`gave up after ${DEADLINE_MS / 60_000} min`), DEADLINE_MS)
timer.unref()
process.once('SIGINT', () => giveUp('interrupted'))
main().then(
  (s) => {
    if (opt.json) console.log(JSON.stringify(s))
    else console.log(`\n${table(s)}`)
    process.exit(s.goalMet ? 0 : 1)
  },
  (err) => {
    console.error(`bench:migration failed: ${(err as Error).stack ?? err}`)
    process.exit(2)
  }
)
