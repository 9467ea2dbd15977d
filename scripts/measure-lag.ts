// measure:lag — replication lag under write load, as `shoal apps` shows it.
//
// Starts a private three-node cluster on 127.0.0.1 (real `shoal up` processes from dist/,
// default timings), adds examples/http-counter with three copies (a master and two replicas),
// writes continuously through every node, and samples `lagMs` of each replica (the age of the
// master's newest snapshot over the replica's newest; 0 when they hold the same) every 200 ms.
//
//   npm run measure:lag [-- --seconds 30 --clients 4 --json --no-standby]
// (--no-standby: replicas keep no standby copy, see `shoal up --no-standby`)
import { parseArgs } from 'node:util'
import { waitFor } from '../test/helpers/wait.js'
import { percentile, WriteLoad } from '../test/helpers/write-load.js'
import { startCounterCluster } from './counter-cluster.js'

const HOST = 'counter.lag'
const SAMPLE_MS = 200

const { values: opt } = parseArgs({
  options: {
    seconds: { type: 'string', default: '30' },
    clients: { type: 'string', default: '4' },
    json: { type: 'boolean', default: false },
    'no-standby': { type: 'boolean', default: false }
  }
})
const log = (s: string) => (opt.json ? process.stderr.write(`${s}\n`) : console.log(s))

async function main(): Promise<void> {
  const { cluster, status, ctl } = await startCounterCluster(HOST, 3, { nodeArgs: opt['no-standby'] ? ['--no-standby'] : [] })
  let load: WriteLoad | null = null
  try {
    await waitFor(async () => (await ctl.apps()).apps[0]!.replicas.length === 2, 'two replicas', 30_000)
    load = new WriteLoad({ ports: status.map((n) => n.httpPort), host: HOST, clients: Number(opt.clients), failureGapMs: 10 })
    await load.waitAcked(100)
    const samples: number[] = []
    let unknown = 0
    const started = Date.now()
    const ackedBefore = load.acked.length
    while (Date.now() - started < Number(opt.seconds) * 1000) {
      for (const r of (await ctl.apps()).apps[0]!.replicas) {
        if (r.lagMs === null) unknown++
        else samples.push(r.lagMs)
      }
      await new Promise((resolve) => setTimeout(resolve, SAMPLE_MS))
    }
    const writesPerSec = ((load.acked.length - ackedBefore) * 1000) / (Date.now() - started)
    await load.stop()
    const result = {
      seconds: Number(opt.seconds),
      writes_per_sec: Math.round(writesPerSec),
      failed_writes: load.failures.length,
      samples: samples.length,
      unknown_samples: unknown,
      lag_p50_ms: percentile(samples, 50),
      lag_p99_ms: percentile(samples, 99),
      lag_max_ms: Math.max(...samples),
      in_sync_share: Number((samples.filter((s) => s === 0).length / samples.length).toFixed(3))
    }
    log(`${result.writes_per_sec} acknowledged writes/s through all three nodes for ${result.seconds} s (${result.failed_writes} failed)`)
    log(`replica lag (${result.samples} samples of 2 replicas): p50 ${result.lag_p50_ms} ms, p99 ${result.lag_p99_ms} ms, max ${result.lag_max_ms} ms; holding the master's newest snapshot in ${(result.in_sync_share * 100).toFixed(0)} % of samples`)
    if (opt.json) console.log(JSON.stringify(result))
  } finally {
    await load?.stop()
    await cluster.close()
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(`measure:lag failed: ${(err as Error).stack ?? err}`)
    process.exit(2)
  }
)
