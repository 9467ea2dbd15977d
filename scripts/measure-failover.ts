// measure:failover — kill -9 of an app's master → first successful write through a survivor.
//
// Each run starts a private three-node cluster on 127.0.0.1 (real `shoal up` processes from
// dist/, default timings), adds examples/http-counter with one replica, writes continuously
// through the two nodes that are not its master, kills the master node with SIGKILL and times
// the first write acknowledged afterwards. Also reports the RPO: the acknowledged writes lost,
// and how long before the kill the oldest of them was acknowledged. The kill comes at a random
// moment (0–2 s) after the replica was last seen in sync, not right after a sync, so the RPO
// is what a crash at any time costs.
// --data-mib N seeds the app's volume with N MiB in 64 KiB files (app add --data), so the
// takeover has a real folder to bring up; the kill comes once the replica holds it all and its
// standby copy (see AppHost.keepStandby) is current. --no-standby starts the nodes without one.
//
//   npm run measure:failover [-- --runs 5 --json --data-mib 256 --no-standby]
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { request } from '../test/helpers/http.js'
import { waitFor } from '../test/helpers/wait.js'
import { missing, percentile, WriteLoad } from '../test/helpers/write-load.js'
import { startCounterCluster } from './counter-cluster.js'

const HOST = 'counter.failover'
/** Answers already on their way when the master died still count as before the kill. */
const IN_FLIGHT_MARGIN_MS = 100
/** The kill comes this long at most (uniformly) after the replica was seen in sync. */
const KILL_SPREAD_MS = 2000

const { values: opt } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    json: { type: 'boolean', default: false },
    'data-mib': { type: 'string', default: '0' },
    'no-standby': { type: 'boolean', default: false }
  }
})
const dataMiB = Number(opt['data-mib'])
if (!Number.isInteger(dataMiB) || dataMiB < 0) throw new Error('--data-mib is a whole number of MiB')
const log = (s: string) => (opt.json ? process.stderr.write(`${s}\n`) : console.log(s))
let stopAll = async (): Promise<void> => undefined

interface Run {
  detectMs: number | null
  recoveryMs: number
  lost: number
  /** The oldest lost write was acknowledged this long before the kill (0 when none was lost). */
  lostWindowMs: number
  ackedBeforeKill: number
}

/** A folder of `mib` MiB in 64 KiB files of random bytes, 64 to a subfolder; null for 0. */
function makeSeed(mib: number): string | null {
  if (mib === 0) return null
  const dir = mkdtempSync(join(tmpdir(), 'shoal-failover-seed-'))
  for (let i = 0; i < mib * 16; i++) {
    const sub = join(dir, `d${Math.floor(i / 64)}`)
    if (i % 64 === 0) mkdirSync(sub)
    writeFileSync(join(sub, `f${i}.bin`), randomBytes(64 * 1024))
  }
  return dir
}

async function once(seed: string | null): Promise<Run> {
  const nodeArgs = opt['no-standby'] ? ['--no-standby'] : []
  const { cluster, nodes, status, ctl } = await startCounterCluster(HOST, 2, { seed: seed ?? undefined, nodeArgs })
  let load: WriteLoad | null = null
  stopAll = async () => {
    await load?.stop()
    await cluster.close()
  }
  try {
    const app = (await ctl.apps()).apps[0]!
    const master = nodes.find((n) => n.name === app.master)!
    const survivors = nodes.filter((n) => n !== master)
    const events = await cluster.recordEvents(survivors[0]!)
    load = new WriteLoad({ ports: status.filter((n) => n.name !== master.name).map((n) => n.httpPort), host: HOST, clients: 4, failureGapMs: 10 })
    await load.waitAcked(100)
    await waitFor(async () => (await ctl.apps()).apps[0]!.replicas[0]?.lagMs === 0, 'the replica to catch up', 120_000)
    if (seed !== null && !opt['no-standby']) {
      // As on a node in service: the replica's standby has been brought up to date meanwhile.
      const replica = nodes.find((n) => n.name === app.replicas[0]!.node)!
      const held = join(replica.home, 'apps', 'counter', 'live-holds')
      await waitFor(() => existsSync(held) && readFileSync(held, 'utf8').trim() !== '', "the replica's standby", 120_000)
    }
    // A crash does not wait for a sync: kill at a random point of the snapshot cycle.
    await new Promise((resolve) => setTimeout(resolve, Math.random() * KILL_SPREAD_MS))
    const killedAt = Date.now()
    master.proc.kill('SIGKILL')
    await master.exited
    const goneAt = Date.now() + IN_FLIGHT_MARGIN_MS
    await waitFor(() => load!.acked.some((a) => a.at > goneAt), 'a write acknowledged by the new master', 60_000, 10)
    const recoveryMs = Math.min(...load.acked.filter((a) => a.at > goneAt).map((a) => a.at)) - killedAt
    await load.stop()
    const dead = events.find((e) => e.kind === 'dead' && e.at >= killedAt)
    const held = JSON.parse((await request(status.find((n) => n.name === survivors[0]!.name)!.httpPort, HOST, { path: '/records' })).body).records.map((r: { body: string }) => r.body)
    const before = load.acked.filter((a) => a.at <= goneAt)
    const lost = new Set(missing(before, held))
    const oldestLost = Math.min(...before.filter((a) => lost.has(a.body)).map((a) => a.at))
    return { detectMs: dead ? dead.at - killedAt : null, recoveryMs, lost: lost.size, lostWindowMs: lost.size === 0 ? 0 : killedAt - oldestLost, ackedBeforeKill: before.length }
  } finally {
    await stopAll()
    stopAll = async () => undefined
  }
}

async function main(): Promise<void> {
  const seed = makeSeed(dataMiB)
  if (seed !== null) log(`volume seeded with ${dataMiB} MiB (${dataMiB * 16} files)${opt['no-standby'] ? ', replicas without a standby' : ''}`)
  const runs: Run[] = []
  try {
    for (let i = 0; i < Number(opt.runs); i++) {
      const r = await once(seed)
      runs.push(r)
      log(`run ${i + 1}: declared dead after ${r.detectMs ?? '?'} ms, first write after ${r.recoveryMs} ms, lost ${r.lost} of ${r.ackedBeforeKill} acknowledged writes (the last ${r.lostWindowMs} ms)`)
    }
  } finally {
    if (seed !== null) rmSync(seed, { recursive: true, force: true })
  }
  const summary = {
    runs: runs.length,
    detectMedianMs: percentile(runs.map((r) => r.detectMs ?? NaN).filter(Number.isFinite), 50),
    recoveryMedianMs: percentile(runs.map((r) => r.recoveryMs), 50),
    recoveryMaxMs: Math.max(...runs.map((r) => r.recoveryMs)),
    lostMedian: percentile(runs.map((r) => r.lost), 50),
    lostMax: Math.max(...runs.map((r) => r.lost)),
    lostWindowMedianMs: percentile(runs.map((r) => r.lostWindowMs), 50),
    lostWindowMaxMs: Math.max(...runs.map((r) => r.lostWindowMs))
  }
  if (opt.json) console.log(JSON.stringify(summary))
  else
    console.log(
      `\nkill -9 → first write through a survivor: median ${summary.recoveryMedianMs} ms, max ${summary.recoveryMaxMs} ms (${summary.runs} runs)\n` +
        `declared dead: median ${summary.detectMedianMs} ms\nRPO (acknowledged writes lost): median ${summary.lostMedian}, max ${summary.lostMax}; ` +
        `acknowledged within the last ${summary.lostWindowMedianMs} ms before the kill (median), ${summary.lostWindowMaxMs} ms (max)`
    )
}

const timer = setTimeout(() => giveUp('gave up after 10 min'), 10 * 60_000)
timer.unref()
process.once('SIGINT', () => giveUp('interrupted'))
function giveUp(why: string): void {
  console.error(`measure:failover: ${why}`)
  stopAll().finally(() => process.exit(2))
}
main().then(
  () => process.exit(0),
  (err) => {
    console.error(`measure:failover failed: ${(err as Error).stack ?? err}`)
    process.exit(2)
  }
)
