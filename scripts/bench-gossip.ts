/**
 * npm run bench:gossip -- [--nodes 1000] [--degree 8] [--latency 10] [--jitter 10] [--json]
 *
 * Runs Shoal's real gossip and failure-detector code for N nodes over the in-memory transport
 * (one process, virtual clock: every node behaves as if it had its own machine), and beside it
 * plain random push gossip the Serf/memberlist way (fanout 3, 200 ms rounds, each update
 * retransmitted 4·log10(N+1) times) over the same latency model. For one record update it
 * prints the time to reach 99.99 % and 100 % of nodes, and the traffic per node per second.
 */
import { parseArgs } from 'node:util'
import { randomBytes } from 'node:crypto'
import { VirtualClock } from '../src/core/virtual-clock.js'
import { emptyLoad, type NodeRecord } from '../src/core/types.js'
import { MemoryNetwork } from '../src/mesh/memory-transport.js'
import { Mesh } from '../src/mesh/mesh.js'
import { encodeMesh } from '../src/protocol/mesh-messages.js'

const { values } = parseArgs({
  options: {
    nodes: { type: 'string', default: '1000' },
    degree: { type: 'string', default: '8' },
    latency: { type: 'string', default: '10' },
    jitter: { type: 'string', default: '10' },
    json: { type: 'boolean', default: false }
  }
})
const N = Number(values.nodes)
const DEGREE = Number(values.degree)
const LATENCY = Number(values.latency)
const JITTER = Number(values.jitter)
const delay = () => LATENCY + Math.random() * JITTER
const quantileCount = (q: number) => Math.ceil(q * (N - 1))

function record(id: string, i: number): NodeRecord {
  return {
    id,
    incarnation: 1,
    seq: 0,
    name: `node-${i}`,
    zone: `zone-${i % 3}`,
    addresses: ['127.0.0.1'],
    httpPort: 8080,
    portOffset: 0,
    capacity: 1,
    load: { ...emptyLoad(), cpu: 0.2, mem: 0.3, rss: 60_000_000 },
    version: '0.1.0',
    startedAt: Date.now(),
    heads: {}
  }
}

function shoalRun() {
  const clock = new VirtualClock()
  const net = new MemoryNetwork({ clock, latencyMs: LATENCY, jitterMs: JITTER })
  const ids = Array.from({ length: N }, () => randomBytes(32).toString('hex'))
  const meshes = ids.map((id, i) => new Mesh(net.transport(id), clock, record(id, i)))
  // Every node starts knowing every record (as after joining), so the measurement is one update.
  for (const m of meshes) for (let i = 0; i < N; i++) m.gossip.table.applyRecord(meshes[i]!.record)
  for (const m of meshes) m.start()
  // Bounded peers, as hyperswarm keeps them: a ring for connectivity plus random chords.
  for (let i = 0; i < N; i++) {
    net.connect(ids[i]!, ids[(i + 1) % N]!)
    while (net.transport(ids[i]!).connected().length < DEGREE) net.connect(ids[i]!, ids[Math.floor(Math.random() * N)]!)
  }
  clock.advance(3000) // digests settle after the connections open

  const steadyStart = net.stats.bytes
  clock.advance(10_000)
  const steadyBytesPerNodeSec = (net.stats.bytes - steadyStart) / N / 10

  const origin = meshes[0]!
  const before = net.stats.bytes
  origin.updateSelf({ zone: 'updated' })
  const t0 = clock.now()
  const has = () => meshes.filter((m) => m !== origin && m.member(origin.id)?.record.zone === 'updated').length
  let t9999 = -1
  const t100 = clock.runUntil(() => {
    const n = has()
    if (t9999 < 0 && n >= quantileCount(0.9999)) t9999 = clock.now() - t0
    return n === N - 1
  }, 30_000)
  const updateBytes = net.stats.bytes - before
  const falseDeaths = meshes.reduce((acc, m) => acc + m.members().filter((v) => v.status !== 'alive').length, 0)
  meshes.forEach((m) => m.stop())
  return { t9999, t100, steadyBytesPerNodeSec, updateBytesPerNode: updateBytes / N, falseDeaths }
}

/** Plain random push gossip (Serf/memberlist): fanout 3 every 200 ms, limited retransmits. */
function baselineRun() {
  const FANOUT = 3
  const ROUND_MS = 200
  const RETRANSMITS = Math.ceil(4 * Math.log10(N + 1))
  const PROBE_BYTES = 2 * 40 // ping + ack of one probe per second, as memberlist does
  const itemBytes = encodeMesh({ type: 'updates', records: [record(randomBytes(32).toString('hex'), 0)], claims: [], specs: [], placements: [] }).byteLength
  const clock = new VirtualClock()
  const sent = new Array<number>(N).fill(0) // transmissions left per node
  const has = new Array<boolean>(N).fill(false)
  let bytes = 0
  let count = 1
  has[0] = true
  sent[0] = RETRANSMITS
  for (let i = 0; i < N; i++) {
    const phase = Math.random() * ROUND_MS
    const round = () => {
      if (sent[i]! > 0) {
        sent[i]!--
        for (let k = 0; k < FANOUT; k++) {
          let j = Math.floor(Math.random() * (N - 1))
          if (j >= i) j++
          bytes += itemBytes
          clock.setTimeout(() => {
            if (has[j]) return
            has[j] = true
            count++
            sent[j] = RETRANSMITS
          }, delay())
        }
      }
      clock.setTimeout(round, ROUND_MS)
    }
    clock.setTimeout(round, phase)
  }
  let t9999 = -1
  const t100 = clock.runUntil(() => {
    if (t9999 < 0 && count - 1 >= quantileCount(0.9999)) t9999 = clock.now()
    return count === N
  }, 30_000)
  return {
    t9999,
    t100: count === N ? t100 : -1,
    reached: count / N,
    steadyBytesPerNodeSec: PROBE_BYTES,
    updateBytesPerNode: bytes / N
  }
}

const ours = shoalRun()
const base = baselineRun()
const fmt = (ms: number) => (ms < 0 ? 'never' : `${ms} ms`)
const rows = [
  ['', 'shoal (flood + digest)', 'random gossip (fanout 3, 200 ms)'],
  ['update → 99.99 % of nodes', fmt(ours.t9999), fmt(base.t9999)],
  ['update → 100 % of nodes', fmt(ours.t100), base.t100 < 0 ? `never (${(base.reached * 100).toFixed(2)} % reached)` : fmt(base.t100)],
  ['bytes per node for the update', ours.updateBytesPerNode.toFixed(0), base.updateBytesPerNode.toFixed(0)],
  ['steady bytes per node per second', ours.steadyBytesPerNodeSec.toFixed(0), `${base.steadyBytesPerNodeSec} (probes only)`]
]
const w = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)))
console.log(`${N} nodes, ${DEGREE} peers each (shoal), one-way latency ${LATENCY}–${LATENCY + JITTER} ms, virtual clock`)
for (const r of rows) console.log(r.map((c, i) => c.padEnd(w[i]!)).join('  '))
console.log(`false suspicions/deaths during the run: ${ours.falseDeaths}`)
if (ours.t100 >= 0 && base.t100 > 0) console.log(`shoal reaches 100 % in ${(ours.t100 / base.t100).toFixed(2)}× the baseline's time`)
if (values.json) {
  console.log(JSON.stringify({ nodes: N, degree: DEGREE, latencyMs: LATENCY, jitterMs: JITTER, shoal: ours, baseline: base }))
}
