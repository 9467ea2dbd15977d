/**
 * npm run soak:detector -- [--nodes 5] [--seconds 60] [--no-load]
 *
 * Starts real `shoal up` processes on a private bootstrap on 127.0.0.1, keeps both cores busy
 * with two spinning processes, and counts every suspect or dead event over the run (the goal is
 * zero). Then kills one node with SIGKILL and reports how long each survivor took to call it
 * dead. Also prints each node's idle RSS. Everything it starts, it stops.
 */
import { spawn } from 'node:child_process'
import { parseArgs } from 'node:util'
import { readFileSync } from 'node:fs'
import { startCluster } from '../test/helpers/processes.js'
import { waitFor } from '../test/helpers/wait.js'

const { values } = parseArgs({
  options: { nodes: { type: 'string', default: '5' }, seconds: { type: 'string', default: '60' }, 'no-load': { type: 'boolean', default: false } }
})
const N = Number(values.nodes)
const SECONDS = Number(values.seconds)

const cluster = await startCluster()
const burners = values['no-load'] ? [] : [0, 1].map(() => spawn(process.execPath, ['-e', 'for(;;){}'], { stdio: 'ignore' }))
try {
  const names = Array.from({ length: N }, (_, i) => `n${i + 1}`)
  const t0 = Date.now()
  const nodes = names.map((n) => cluster.start(n))
  for (const n of nodes) await cluster.waitAlive(n, names, 60_000)
  console.log(`${N} nodes converged in ${Date.now() - t0} ms${burners.length ? ' (both cores busy)' : ''}`)
  const logs = await Promise.all(nodes.map((n) => cluster.recordEvents(n)))

  await new Promise((r) => setTimeout(r, SECONDS * 1000))
  const falseAlarms = logs.flat().filter((e) => e.kind === 'suspect' || e.kind === 'dead')
  console.log(`false suspicions over ${SECONDS} s: ${falseAlarms.length}`)
  for (const e of falseAlarms) console.log(`  ${new Date(e.at).toISOString()} ${e.message}`)

  const rss = nodes.map((n) => {
    const status = readFileSync(`/proc/${n.proc.pid}/status`, 'utf8')
    return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024
  })
  console.log(`idle RSS per node: ${rss.map((r) => r.toFixed(0)).join(', ')} MB (max ${Math.max(...rss).toFixed(0)})`)

  const victim = nodes[N - 1]!
  const killedAt = Date.now()
  victim.proc.kill('SIGKILL')
  const dead = (log: (typeof logs)[number]) => log.find((e) => e.nodeName === victim.name && e.kind === 'dead')
  await waitFor(() => logs.slice(0, N - 1).every(dead), 'every survivor to see the kill', 20_000)
  const detection = logs.slice(0, N - 1).map((l) => dead(l)!.at - killedAt)
  console.log(`kill -9 detected by every survivor after: ${detection.join(', ')} ms (max ${Math.max(...detection)})`)
  console.log(JSON.stringify({ nodes: N, seconds: SECONDS, loaded: burners.length > 0, falseSuspicions: falseAlarms.length, rssMb: rss, detectionMs: detection }))
} finally {
  for (const b of burners) b.kill('SIGKILL')
  await cluster.close()
}
