// Replication benchmark: initial and incremental sync between two Shoal volume endpoints, against
// rsync on the same trees. The two ends are connected as two nodes are: a hyperswarm mesh
// connection (private DHT testnet on 127.0.0.1), and the direct TCP data session a master sends
// over when the replica's data port answers (DataLinks); --mesh sends over the mesh connection
// instead, as to a replica whose data port cannot be reached. The replica runs in its own
// process, as on a real second node: it receives, commits and checks out each snapshot into its
// app folder; a sync counts as done when that checkout is.
//   npm run bench:replication -- [--size MIB] [--rounds N] [--json] [--keep] [--whole] [--mesh]
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { randomBytes, randomFillSync } from 'node:crypto'
import { mkdir, mkdtemp, open, readFile, readdir, lstat, readlink, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { Session } from 'node:inspector/promises'
import Hyperswarm, { type SwarmConnection } from 'hyperswarm'
import DHT from 'hyperdht'
import createTestnet from 'hyperdht/testnet.js'
import Protomux from 'protomux'
import { ProtomuxLink } from '../src/mesh/protomux-link.js'
import { DataLinks } from '../src/mesh/data-links.js'
import { CHANNELS } from '../src/protocol/version.js'
import { TreeWatch } from '../src/node/tree-watch.js'
import { chunkHash } from '../src/volume/chunk-hash.js'
import { ChunkStore } from '../src/volume/chunk-store.js'
import { DEFAULT_CHUNKER, nextCut } from '../src/volume/chunker.js'
import { checkout } from '../src/volume/checkout.js'
import { frameLength, type Link } from '../src/volume/link.js'
import { ReplicationReceiver } from '../src/volume/replication-receiver.js'
import { ReplicationSender } from '../src/volume/replication-sender.js'
import { SnapshotStore } from '../src/volume/snapshot-store.js'
import { Snapshotter } from '../src/volume/snapshotter.js'

const MiB = 1024 * 1024
const FILES_PER_GIB = 10_000
const CHANGE_FRACTION = 0.01

const args = process.argv.slice(2)
const sizeMiB = Number(args[args.indexOf('--size') + 1] ?? 1024) || 1024
const asJson = args.includes('--json')
/** --mesh: transfers go over the hyperswarm connection, not a direct data session. */
const overMesh = args.includes('--mesh')
const keep = args.includes('--keep')
/** --whole: the incremental snapshot lists the whole tree instead of the paths a watch reported. */
const listWhole = args.includes('--whole')
/**
 * --no-push: the master does not push a snapshot's new chunks while it takes it (as a Shoal
 * node does, see ReplicationSender.pushAhead); they go only once asked for, after the offer.
 */
const noPush = args.includes('--no-push')
/** --rounds N: incremental rounds (each changes another 1 %); the figures are their medians. */
const roundCount = Math.max(1, Number(args.includes('--rounds') ? args[args.indexOf('--rounds') + 1] : 3) || 3)
/** --profile DIR: CPU profiles of both processes during the incremental sync, written to DIR. */
const profileDir = args.includes('--profile') ? args[args.indexOf('--profile') + 1]! : null
/** --profile-full DIR: the same during the full sync's transfer (after its snapshot). */
const profileFullDir = args.includes('--profile-full') ? args[args.indexOf('--profile-full') + 1]! : null
const avgKiB = args.includes('--avg') ? Number(args[args.indexOf('--avg') + 1]) : 0
const chunker = avgKiB > 0 ? { min: (avgKiB * 1024) / 4, avg: avgKiB * 1024, max: avgKiB * 1024 * 4 } : DEFAULT_CHUNKER
const log = (...a: unknown[]) => {
  if (!asJson) console.log(...a)
  else console.error(...a)
}

/** A random integer in [lo, hi). */
const rand = (lo: number, hi: number) => lo + Math.floor(Math.random() * (hi - lo))

/**
 * The commands the bench runs (sync, rsync) go through a helper process started before anything
 * is measured, never from this process, which hosts Shoal's master. On Linux, Node (libuv)
 * spawns a child with fork(), which write-protects every page of the parent: each page the
 * parent writes afterwards faults once, as if fresh. Measured on this VM: refilling 16 MB of
 * reused buffers took 1 ms, and 84 ms right after one spawn. A Shoal node does not spawn
 * between syncs; a bench that spawned `sync` and rsync between every step charged Shoal's
 * master for it. The helper times each command itself.
 */
function startRunner() {
  const child = spawn(process.execPath, ['--import', 'tsx', import.meta.filename, '--runner'], { stdio: ['pipe', 'pipe', 'inherit'] })
  const waiting = new Map<number, (r: { ms: number; stdout: string; error: string | null }) => void>()
  let next = 0
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const r = JSON.parse(line) as { id: number; ms: number; stdout: string; error: string | null }
    waiting.get(r.id)?.(r)
    waiting.delete(r.id)
  })
  return {
    /** Runs `cmd` in the helper; resolves with its output and how long it took there. */
    run: async (cmd: string, cmdArgs: string[]): Promise<{ ms: number; stdout: string }> => {
      const id = next++
      const done = new Promise<{ ms: number; stdout: string; error: string | null }>((resolve) => waiting.set(id, resolve))
      child.stdin!.write(`${JSON.stringify({ id, cmd, args: cmdArgs })}\n`)
      const r = await done
      if (r.error !== null) throw new Error(`${cmd} failed: ${r.error}`)
      return r
    },
    close: () => child.stdin!.end()
  }
}

/** The helper process of startRunner: runs each command asked on stdin, answers on stdout. */
function runnerRole(): Promise<void> {
  createInterface({ input: process.stdin }).on('line', (line) => {
    const { id, cmd, args: cmdArgs } = JSON.parse(line) as { id: number; cmd: string; args: string[] }
    const t = performance.now()
    execFile(cmd, cmdArgs, { maxBuffer: 64 * MiB }, (err, stdout) => {
      process.stdout.write(`${JSON.stringify({ id, ms: performance.now() - t, stdout: String(stdout), error: err ? String(err) : null })}\n`)
    })
  })
  return Promise.resolve()
}

/** One incremental round: Shoal's sync and rsync's of the same change. */
interface Round {
  incMs: number
  /** Until the replica acknowledged its durable commit (before its checkout). */
  durableMs: number
  rsyncMs: number
  rsyncFsyncMs: number
  bytesChanged: number
  bytesSent: number
  rsyncSent: number
  chunksSent: number
  newBytes: number
  listing: 'whole' | 'changed'
  walkMs: number
}

interface FileSpec {
  path: string
  size: number
}

/** ~10 000 files per GiB: 70 % small (1–16 KiB), 25 % medium (16–128 KiB), 5 % large sharing the rest. */
function planTree(totalBytes: number): FileSpec[] {
  const n = Math.max(50, Math.round((FILES_PER_GIB * totalBytes) / (1024 * MiB)))
  const specs: FileSpec[] = []
  let used = 0
  const nSmall = Math.round(n * 0.7)
  const nMedium = Math.round(n * 0.25)
  const nLarge = n - nSmall - nMedium
  for (let i = 0; i < nSmall; i++) specs.push({ path: '', size: rand(1024, 16 * 1024) })
  for (let i = 0; i < nMedium; i++) specs.push({ path: '', size: rand(16 * 1024, 128 * 1024) })
  for (const s of specs) used += s.size
  const weights = Array.from({ length: nLarge }, () => 0.05 + Math.random() ** 3)
  const sum = weights.reduce((a, b) => a + b, 0)
  const rest = Math.max(0, totalBytes - used)
  for (const w of weights) specs.push({ path: '', size: Math.floor((rest * w) / sum) })
  specs.forEach((s, i) => (s.path = `dir-${i % 40}/sub-${i % 7}/file-${i}.bin`))
  return specs
}

async function generate(root: string, specs: FileSpec[]): Promise<void> {
  const block = Buffer.allocUnsafe(16 * MiB)
  for (const s of specs) {
    await mkdir(join(root, s.path, '..'), { recursive: true })
    const fd = await open(join(root, s.path), 'w')
    for (let left = s.size; left > 0; ) {
      const n = Math.min(left, block.length)
      randomFillSync(block, 0, n)
      await fd.write(block, 0, n)
      left -= n
    }
    await fd.close()
  }
  await mkdir(join(root, 'empty-dir'), { recursive: true })
  await writeFile(join(root, 'README'), 'shoal benchmark tree\n')
  const { symlink } = await import('node:fs/promises')
  await symlink('README', join(root, 'readme-link'))
}

/**
 * Changes ~1 % of the bytes: half as inserts in the middle of large files, a fifth as in-place
 * overwrites of large files, the rest as whole rewrites of small and medium files.
 */
async function mutate(root: string, specs: FileSpec[], totalBytes: number): Promise<number> {
  const budget = Math.round(totalBytes * CHANGE_FRACTION)
  const large = specs.filter((s) => s.size >= 1 * MiB).sort(() => Math.random() - 0.5)
  const small = specs.filter((s) => s.size < 128 * 1024 && s.size >= 16 * 1024).sort(() => Math.random() - 0.5)
  let changed = 0
  const insertBudget = budget * 0.5
  const overwriteBudget = budget * 0.2
  const edits = Math.max(1, Math.round(sizeMiB / 128))
  let li = 0
  for (let i = 0; i < edits && changed < insertBudget && large.length; i++) {
    const s = large[li++ % large.length]!
    const len = Math.round(Math.min(insertBudget - changed, insertBudget / edits))
    const abs = join(root, s.path)
    const data = await readFile(abs)
    const mid = Math.floor(data.length / 2) + rand(0, 4096)
    await writeFile(abs, Buffer.concat([data.subarray(0, mid), randomBytes(len), data.subarray(mid)]))
    s.size += len
    changed += len
  }
  let overwritten = 0
  for (let i = 0; i < edits && overwritten < overwriteBudget && large.length; i++) {
    const s = large[li++ % large.length]!
    const len = Math.round(Math.min(overwriteBudget - overwritten, overwriteBudget / edits, s.size / 2))
    const fd = await open(join(root, s.path), 'r+')
    await fd.write(randomBytes(len), 0, len, rand(0, s.size - len))
    await fd.close()
    overwritten += len
  }
  changed += overwritten
  for (const s of small) {
    if (changed >= budget) break
    await writeFile(join(root, s.path), randomBytes(s.size))
    changed += s.size
  }
  return changed
}

/** Compares two trees byte for byte (contents, kinds, modes, symlink targets). */
async function sameTree(a: string, b: string): Promise<boolean> {
  async function walk(rel: string): Promise<boolean> {
    const [na, nb] = await Promise.all([readdir(join(a, rel)), readdir(join(b, rel))])
    na.sort()
    nb.sort()
    if (na.join('\0') !== nb.join('\0')) return false
    for (const name of na) {
      const p = join(rel, name)
      const [sa, sb] = await Promise.all([lstat(join(a, p)), lstat(join(b, p))])
      if ((sa.mode & 0o170777) !== (sb.mode & 0o170777) || sa.size !== sb.size) return false
      if (sa.isDirectory()) {
        if (!(await walk(p))) return false
      } else if (sa.isSymbolicLink()) {
        if ((await readlink(join(a, p))) !== (await readlink(join(b, p)))) return false
      } else if (!(await readFile(join(a, p))).equals(await readFile(join(b, p)))) return false
    }
    return true
  }
  return walk('')
}

/** A Link that counts the bytes of frames sent through it. */
function counting(link: Link, counter: { bytes: number }): Link {
  return {
    send: (f) => {
      counter.bytes += frameLength(f)
      return link.send(f)
    },
    setHandler: (h) => link.setHandler(h),
    close: () => link.close()
  }
}

function measureHashing(): { hashMBps: number; chunkMBps: number } {
  const buf = randomFillSync(Buffer.allocUnsafe(128 * MiB))
  let best = { hashMBps: 0, chunkMBps: 0 }
  for (let r = 0; r < 3; r++) {
    let t = performance.now()
    const cuts: number[] = []
    for (let at = 0; at < buf.length; ) {
      const len = nextCut(buf, at, buf.length, true)
      cuts.push(len)
      at += len
    }
    const chunkMBps = buf.length / 1e6 / ((performance.now() - t) / 1000)
    t = performance.now()
    let at = 0
    for (const len of cuts) {
      chunkHash(buf.subarray(at, at + len))
      at += len
    }
    const hashMBps = buf.length / 1e6 / ((performance.now() - t) / 1000)
    best = { hashMBps: Math.max(best.hashMBps, hashMBps), chunkMBps: Math.max(best.chunkMBps, chunkMBps) }
  }
  return best
}

/** Starts a CPU profile of this process; the returned function stops it and writes it to `file`. */
async function startProfile(file: string): Promise<() => Promise<void>> {
  const session = new Session()
  session.connect()
  await session.post('Profiler.enable')
  await session.post('Profiler.setSamplingInterval', { interval: 200 })
  await session.post('Profiler.start')
  return async () => {
    const { profile } = await session.post('Profiler.stop')
    await writeFile(file, JSON.stringify(profile))
    session.disconnect()
  }
}

/**
 * The replica node, run as `bench-replication.ts --replica HOME TOPIC BOOTSTRAP`: receives over
 * hyperswarm, and after each commit checks the snapshot out into HOME/app (fresh the first
 * time, in place after that), then prints `DONE <id> <checkout ms> <bytes it sent>`.
 */
async function replicaRole(home: string, topicHex: string, bootstrap: Array<{ host: string; port: number }>): Promise<void> {
  const chunks = new ChunkStore(join(home, 'chunks'))
  const snapshots = new SnapshotStore(join(home, 'volumes/bench'), chunks)
  await chunks.open()
  await snapshots.open()
  const keyPair = DHT.keyPair()
  const swarm = new Hyperswarm({ keyPair, dht: new DHT({ bootstrap, host: '127.0.0.1' }) })
  const target = join(home, 'app')
  let previous: string | null = null
  const wire = { bytes: 0 }
  /** When each receive phase was first seen, for the breakdown printed by the master. */
  let phases = new Map<string, number>()
  let stopProfile: (() => Promise<void>) | null = null
  // The replica's side of either session: replication and a raw channel on its mux, each opened
  // when the master opens it (as a node's hub accepts replication channels).
  const serve = (mux: Protomux) => {
    mux.pair({ protocol: CHANNELS.replication }, (id) => {
      if (id === null) return
      if (Buffer.from(id).toString() === 'bench-app') receive(mux)
      else if (Buffer.from(id).toString() === 'bench-raw') countRaw(mux)
    })
  }
  // The wire's own ceiling: a second channel on the same connection that only counts bytes
  // and answers with the count once asked.
  const countRaw = (mux: Protomux) => {
    const raw = new ProtomuxLink(mux, Buffer.from('bench-raw'))
    let rawBytes = 0
    raw.setHandler({
      onFrame: (f) => {
        if (f.byteLength === 1) {
          raw.send(Buffer.from(String(rawBytes)))
          rawBytes = 0
        } else rawBytes += f.byteLength
      },
      onDrain: () => undefined,
      onClose: () => undefined
    })
  }
  const receive = (mux: Protomux) => {
    const link = new ProtomuxLink(mux, Buffer.from('bench-app'))
    let queue = Promise.resolve()
    new ReplicationReceiver({
      link: counting(link, wire),
      chunks,
      snapshots,
      self: randomBytes(32).toString('hex'),
      onProgress: (p) => {
        if (!phases.has(p.phase)) phases.set(p.phase, performance.now())
      },
      onCommit: (node) => {
        const seen = phases
        phases = new Map()
        queue = queue.then(async () => {
          const t = performance.now()
          const manifest = await snapshots.readManifest(node.id)
          if (previous === null) await checkout({ chunks, manifest, target, mode: 'fresh' })
          else await checkout({ chunks, manifest, previous: await snapshots.readManifest(previous), target, mode: 'in-place' })
          previous = node.id
          await stopProfile?.()
          stopProfile = null
          const start = seen.get('manifest') ?? t
          const trace = [...seen].map(([phase, at]) => `${phase}@${(at - start).toFixed(0)}`).join(',') + `,committed@${(t - start).toFixed(0)}`
          process.stdout.write(`DONE ${node.id} ${(performance.now() - t).toFixed(1)} ${wire.bytes} ${trace}\n`)
          wire.bytes = 0
        })
      }
    })
  }
  swarm.on('connection', (conn: SwarmConnection) => {
    conn.on('error', () => undefined)
    serve(Protomux.from(conn))
  })
  // As a node does: a data port that admits the peers of its mesh (here: any that connected).
  const data = new DataLinks({
    keyPair,
    host: '127.0.0.1',
    port: 0,
    admitted: (peer) => [...swarm.connections].some((c) => c.remotePublicKey.toString('hex') === peer),
    onSession: (_peer, mux) => serve(mux)
  })
  await data.listen()
  await swarm.join(Buffer.from(topicHex, 'hex'), { server: true, client: false }).flushed()
  process.stdout.write(`READY ${data.port} ${keyPair.publicKey.toString('hex')}\n`)
  createInterface({ input: process.stdin }).on('line', (line) => {
    if (line.startsWith('PROFILE ')) void startProfile(line.slice(8)).then((stop) => (stopProfile = stop))
  })
  process.stdin.on('end', () => void Promise.all([data.close(), swarm.destroy()]).then(() => process.exit(0)))
}

/** Starts the replica process and connects to it; `done(id)` waits for its checkout of `id`. */
async function startReplica(home: string, bootstrap: Array<{ host: string; port: number }>) {
  const topic = randomBytes(32)
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', import.meta.filename, '--replica', home, topic.toString('hex'), JSON.stringify(bootstrap)], {
    stdio: ['pipe', 'pipe', 'inherit']
  })
  const waiting = new Map<string, (r: { checkoutMs: number; bytes: number; trace: string }) => void>()
  const done = new Map<string, { checkoutMs: number; bytes: number; trace: string }>()
  let ready!: (r: { port: number; key: string }) => void
  const isReady = new Promise<{ port: number; key: string }>((resolve) => (ready = resolve))
  createInterface({ input: child.stdout! }).on('line', (line) => {
    if (line.startsWith('READY ')) {
      const [, port, key] = line.split(' ')
      return ready({ port: Number(port), key: key! })
    }
    const [tag, id, ms, bytes, trace] = line.split(' ')
    if (tag !== 'DONE' || id === undefined) return
    const r = { checkoutMs: Number(ms), bytes: Number(bytes), trace: trace ?? '' }
    done.set(id, r)
    waiting.get(id)?.(r)
  })
  const dataPort = await isReady
  const keyPair = DHT.keyPair()
  const swarm = new Hyperswarm({ keyPair, dht: new DHT({ bootstrap, host: '127.0.0.1' }) })
  const conn = new Promise<SwarmConnection>((resolve) => swarm.once('connection', resolve))
  swarm.on('connection', (c: SwarmConnection) => c.on('error', () => undefined))
  swarm.join(topic, { server: false, client: true })
  const meshMux = Protomux.from(await conn)
  // The master's side: the replica's data session, dialled as a node's replication hub does.
  const data = new DataLinks({ keyPair, host: '127.0.0.1', port: 0, admitted: () => false, onSession: () => undefined })
  const direct = overMesh ? null : await data.connect(dataPort.key, [{ host: '127.0.0.1', port: dataPort.port }])
  if (!overMesh && direct === null) throw new Error('the replica did not answer on its data port')
  const mux = direct ?? meshMux
  const link = new ProtomuxLink(mux, Buffer.from('bench-app'))
  const raw = new ProtomuxLink(mux, Buffer.from('bench-raw'))
  await Promise.all([link.opened, raw.opened])
  return {
    link,
    /** MB/s of `bytes` in 32 KiB frames over the same connection, nothing else done with them. */
    wireMBps: async (bytes: number): Promise<number> => {
      const frame = randomBytes(32 * 1024)
      let drained: (() => void) | null = null
      let counted!: (n: number) => void
      const answer = new Promise<number>((resolve) => (counted = resolve))
      raw.setHandler({ onFrame: (f) => counted(Number(Buffer.from(f).toString())), onDrain: () => drained?.(), onClose: () => undefined })
      const t0 = performance.now()
      for (let sent = 0; sent < bytes; sent += frame.length) {
        if (!raw.send(frame)) await new Promise<void>((resolve) => (drained = resolve))
      }
      raw.send(Buffer.alloc(1))
      const got = await answer
      return got / 1e6 / ((performance.now() - t0) / 1000)
    },
    /** Resolves when the replica has checked out `id`: its checkout time and the bytes it sent. */
    done: (id: string) => new Promise<{ checkoutMs: number; bytes: number; trace: string }>((resolve) => (done.has(id) ? resolve(done.get(id)!) : waiting.set(id, resolve))),
    /** Profiles the replica until its next checkout is done. */
    profile: (file: string) => child.stdin!.write(`PROFILE ${file}\n`),
    close: async () => {
      child.stdin!.end()
      await data.close()
      await swarm.destroy()
      await new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('exit', resolve)))
    }
  }
}

async function main(): Promise<void> {
  const base = await mkdtemp(join(tmpdir(), 'shoal-bench-'))
  const totalBytes = sizeMiB * MiB
  const src = join(base, 'src')
  const rsyncDst = join(base, 'rsync-dst')
  // Shoal's syncs are durable (fsynced on both ends) before they count; plain rsync's are not.
  // rsync --fsync, as durable, is measured too, for context (the goal is against plain rsync).
  const rsyncFsyncDst = join(base, 'rsync-fsync-dst')
  log(`bench:replication: ${sizeMiB} MiB in ${base}`)
  const runner = startRunner()
  const run = runner.run
  const testnet = await createTestnet(3, { host: '127.0.0.1' })
  let replica: Awaited<ReturnType<typeof startReplica>> | null = null
  try {
    const { hashMBps, chunkMBps } = measureHashing()
    log(`hashing: sha256 ${hashMBps.toFixed(0)} MB/s, gear chunker ${chunkMBps.toFixed(0)} MB/s (one core)`)

    const specs = planTree(totalBytes)
    let t = performance.now()
    await generate(src, specs)
    const treeBytes = specs.reduce((a, s) => a + s.size, 0)
    log(`generated ${specs.length} files, ${(treeBytes / MiB).toFixed(0)} MiB in ${((performance.now() - t) / 1000).toFixed(1)} s`)

    const masterId = randomBytes(32).toString('hex')
    const mChunks = new ChunkStore(join(base, 'master/chunks'))
    const mSnaps = new SnapshotStore(join(base, 'master/volumes/bench'), mChunks)
    for (const s of [mChunks, mSnaps]) await s.open()
    const snapshotter = new Snapshotter({ root: src, chunks: mChunks, snapshots: mSnaps, origin: masterId, chunker })
    const replicaDir = join(base, 'replica/app')

    replica = await startReplica(join(base, 'replica'), testnet.bootstrap)
    const wire = { bytes: 0 }
    const sender = new ReplicationSender({ link: counting(replica.link, wire), chunks: mChunks, snapshots: mSnaps, pushAhead: !noPush })
    // As a node's replication hub does: files read by a snapshot are pushed to the replica at once.
    snapshotter.watchReads((f) => sender.pushAhead(f))

    // Initial sync: snapshot + send + commit + fresh checkout on the replica.
    t = performance.now()
    const first = await snapshotter.snapshot({ epoch: 1 })
    const tSnap1 = performance.now() - t
    let stopFullProfile: (() => Promise<void>) | null = null
    if (profileFullDir !== null) {
      await mkdir(profileFullDir, { recursive: true })
      replica.profile(join(profileFullDir, 'replica.cpuprofile'))
      stopFullProfile = await startProfile(join(profileFullDir, 'master.cpuprofile'))
    }
    await sender.send(first.snapnode.id)
    await stopFullProfile?.()
    const tSend1 = performance.now() - t - tSnap1
    const firstDone = await replica.done(first.snapnode.id)
    const fullMs = performance.now() - t
    const fullWire = wire.bytes + firstDone.bytes
    const wireMBps = await replica.wireMBps(Math.min(treeBytes, 256 * MiB))
    log(`wire: ${wireMBps.toFixed(0)} MB/s of plain 32 KiB frames over the same ${overMesh ? 'hyperswarm connection' : 'direct data session'}`)
    log(`shoal full: ${(fullMs / 1000).toFixed(2)} s (snapshot ${(tSnap1 / 1000).toFixed(2)} s, send ${(tSend1 / 1000).toFixed(2)} s, checkout ${(firstDone.checkoutMs / 1000).toFixed(2)} s; replica ms ${firstDone.trace})`)

    const rsyncFullMs = (await run('rsync', ['-a', '--no-whole-file', `${src}/`, `${rsyncDst}/`])).ms
    log(`rsync full: ${(rsyncFullMs / 1000).toFixed(2)} s`)
    await run('rsync', ['-a', '--no-whole-file', `${src}/`, `${rsyncFsyncDst}/`])

    // Unchanged-tree snapshot: should cost about one stat per file. The first one after the
    // initial snapshot re-reads files written within the racy window (see Snapshotter RACY_MS).
    await snapshotter.snapshot({ epoch: 1 })
    t = performance.now()
    const idle = await snapshotter.snapshot({ epoch: 1 })
    const idleSnapMs = performance.now() - t
    if (idle.changed || idle.stats.filesRead > 0) throw new Error('unchanged tree was read again')

    // Several incremental rounds, each changing another 1 % and syncing it with Shoal and with
    // rsync back to back: the machine is shared, so the figures are the rounds' medians.
    const rounds: Round[] = []
    for (let r = 0; r < roundCount; r++) {
      // Earlier rounds left dirty pages (rsync copies, the replica's checkout): flushed first.
      await run('sync', [])
      // A master learns what changed from a file-system watch (see SnapshotSchedule) and its
      // next snapshot looks only there; the bench does the same. --whole lists the whole tree.
      const reported = new Set<string>()
      const watcher = listWhole ? null : new TreeWatch(src, (path) => void (path !== null && reported.add(path)), (err) => log(`watch failed: ${err.message}`))
      watcher?.start()
      const bytesChanged = await mutate(src, specs, treeBytes)
      // The watch reports asynchronously; a master's next tick comes up to a second later.
      await new Promise((resolve) => setTimeout(resolve, 500))
      watcher?.close()
      const shoalSync = async () => {
        wire.bytes = 0
        let stopProfile: (() => Promise<void>) | null = null
        if (profileDir !== null && r === roundCount - 1) {
          await mkdir(profileDir, { recursive: true })
          replica.profile(join(profileDir, 'replica.cpuprofile'))
          stopProfile = await startProfile(join(profileDir, 'master.cpuprofile'))
          await new Promise((resolve) => setTimeout(resolve, 200))
        }
        const t0 = performance.now()
        const snap = await snapshotter.snapshot({ epoch: 1, changed: watcher === null ? undefined : reported })
        const snapMs = performance.now() - t0
        const inc = await sender.send(snap.snapnode.id)
        const durableMs = performance.now() - t0
        const done = await replica.done(snap.snapnode.id)
        const incMs = performance.now() - t0
        await stopProfile?.()
        const ph = snap.stats.phases
        log(
          `round ${r + 1}: shoal ${(incMs / 1000).toFixed(2)} s (snapshot ${snapMs.toFixed(0)} ms [${snap.stats.listing === 'changed' ? `${reported.size} reported paths` : 'whole tree'} listed in ${ph.walkMs.toFixed(0)} ms, ` +
            `read ${snap.stats.filesRead} files ${(snap.stats.bytesRead / MiB).toFixed(0)} MiB (${(snap.stats.bytesMatched / MiB).toFixed(0)} MiB recognised by comparison) ${ph.readMs.toFixed(0)} ms, commit ${ph.commitMs.toFixed(0)} ms], ` +
            `send and replica commit ${(durableMs - snapMs).toFixed(0)} ms ${inc.chunksSent} chunks, checkout ${done.checkoutMs.toFixed(0)} ms; replica ms ${done.trace})`
        )
        return { snap, inc, done, incMs, durableMs, ph }
      }
      const rsyncSync = async () => {
        const { stdout, ms: rsyncMs } = await run('rsync', ['-a', '--no-whole-file', '--stats', `${src}/`, `${rsyncDst}/`])
        await run('sync', [])
        const { ms: rsyncFsyncMs } = await run('rsync', ['-a', '--no-whole-file', '--fsync', `${src}/`, `${rsyncFsyncDst}/`])
        return { stdout, rsyncMs, rsyncFsyncMs }
      }
      // Each tool starts on a settled disk (the change itself, and the other tool's writes,
      // flushed first), and they take turns going first: whoever goes second would otherwise
      // run while the kernel writes back what the first one wrote.
      await run('sync', [])
      let shoal: Awaited<ReturnType<typeof shoalSync>>
      let rs: Awaited<ReturnType<typeof rsyncSync>>
      if (r % 2 === 0) {
        shoal = await shoalSync()
        await run('sync', [])
        rs = await rsyncSync()
      } else {
        rs = await rsyncSync()
        await run('sync', [])
        shoal = await shoalSync()
      }
      const { snap, inc, done, incMs, durableMs, ph } = shoal
      const { stdout, rsyncMs, rsyncFsyncMs } = rs
      log(`round ${r + 1}: rsync ${(rsyncMs / 1000).toFixed(2)} s, rsync --fsync ${(rsyncFsyncMs / 1000).toFixed(2)} s: shoal ÷ rsync ${(incMs / rsyncMs).toFixed(2)} (${r % 2 === 0 ? 'shoal' : 'rsync'} went first)`)
      rounds.push({
        incMs,
        durableMs,
        rsyncMs,
        rsyncFsyncMs,
        bytesChanged,
        bytesSent: wire.bytes + done.bytes,
        rsyncSent: Number(/Total bytes sent: ([\d,]+)/.exec(stdout)?.[1]?.replace(/,/g, '') ?? NaN),
        chunksSent: inc.chunksSent,
        newBytes: snap.stats.newBytes,
        listing: snap.stats.listing,
        walkMs: ph.walkMs
      })
    }
    // The median round by Shoal's ratio to rsync; the other figures are that round's.
    const byRatio = [...rounds].sort((a, b) => a.incMs / a.rsyncMs - b.incMs / b.rsyncMs)
    const mid = byRatio[Math.floor(byRatio.length / 2)]!
    const { incMs, rsyncMs: rsyncIncMs, rsyncFsyncMs: rsyncFsyncIncMs, bytesChanged, bytesSent: incWire, rsyncSent } = mid
    const medianOf = (f: (r: Round) => number) => {
      const v = rounds.map(f).sort((a, b) => a - b)
      return v[Math.floor(v.length / 2)]!
    }

    t = performance.now()
    const verified = (await sameTree(src, replicaDir)) && (await sameTree(src, rsyncDst)) && (await sameTree(src, rsyncFsyncDst))
    log(`verified byte for byte: ${verified} (${((performance.now() - t) / 1000).toFixed(1)} s)`)

    const result = {
      size_mib: sizeMiB,
      chunk_avg_bytes: chunker.avg,
      files: specs.length,
      tree_bytes: treeBytes,
      verified,
      full_sync_ms: Math.round(fullMs),
      full_sync_mbps: Number((treeBytes / 1e6 / (fullMs / 1000)).toFixed(1)),
      full_sync_bytes_sent: fullWire,
      wire_mbps: Number(wireMBps.toFixed(1)),
      transport: overMesh ? 'mesh' : 'direct',
      rsync_full_ms: Math.round(rsyncFullMs),
      idle_snapshot_ms: Math.round(idleSnapMs),
      incremental_ms: Math.round(incMs),
      rsync_incremental_ms: Math.round(rsyncIncMs),
      incremental_vs_rsync: Number((incMs / rsyncIncMs).toFixed(3)),
      // Until the replica holds the snapshot durably (its ack), before it checks it out: what a
      // Shoal replica does in service (it checks out only when it takes over).
      incremental_commit_ms: Math.round(mid.durableMs),
      incremental_listing: mid.listing,
      incremental_walk_ms: Math.round(mid.walkMs),
      incremental_commit_vs_rsync: Number(medianOf((r) => r.durableMs / r.rsyncMs).toFixed(3)),
      incremental_rounds: rounds.map((r) => Number((r.incMs / r.rsyncMs).toFixed(3))),
      rsync_fsync_incremental_ms: Math.round(rsyncFsyncIncMs),
      incremental_vs_rsync_fsync: Number((incMs / rsyncFsyncIncMs).toFixed(3)),
      bytes_changed: bytesChanged,
      bytes_sent: incWire,
      bytes_sent_vs_changed: Number((incWire / bytesChanged).toFixed(3)),
      rsync_bytes_sent: rsyncSent,
      chunks_sent: mid.chunksSent,
      new_chunk_bytes: mid.newBytes,
      hash_mbps_per_core: Math.round(hashMBps),
      chunker_mbps_per_core: Math.round(chunkMBps)
    }
    const rows: Array<[string, string, string]> = [
      ['full sync', `${(fullMs / 1000).toFixed(2)} s (${result.full_sync_mbps} MB/s; the bare connection carries ${result.wire_mbps} MB/s)`, `${(rsyncFullMs / 1000).toFixed(2)} s`],
      ['incremental sync', `${(incMs / 1000).toFixed(2)} s (durable on the replica after ${(mid.durableMs / 1000).toFixed(2)} s, then checked out; median of ${rounds.length} rounds)`, `${(rsyncIncMs / 1000).toFixed(2)} s (--fsync: ${(rsyncFsyncIncMs / 1000).toFixed(2)} s)`],
      ['incremental bytes sent', `${incWire} (${result.bytes_sent_vs_changed}× changed)`, `${rsyncSent}`],
      ['bytes changed', `${bytesChanged} (new chunk data ${mid.newBytes})`, ''],
      ['unchanged snapshot', `${Math.round(idleSnapMs)} ms for ${specs.length} files`, ''],
      ['hash / chunker per core', `${result.hash_mbps_per_core} / ${result.chunker_mbps_per_core} MB/s`, ''],
      ['verified', String(verified), '']
    ]
    const w0 = Math.max(...rows.map((r) => r[0].length))
    const w1 = Math.max(...rows.map((r) => r[1].length), 5)
    const table = [`${'measure'.padEnd(w0)}  ${'shoal'.padEnd(w1)}  rsync -a --no-whole-file`, ...rows.map((r) => `${r[0].padEnd(w0)}  ${r[1].padEnd(w1)}  ${r[2]}`)]
    if (asJson) {
      console.error(table.join('\n'))
      console.log(JSON.stringify(result))
    } else console.log(`\n${table.join('\n')}`)
    if (!verified) process.exitCode = 1
  } finally {
    if (replica) await replica.close()
    runner.close()
    await testnet.destroy()
    if (!keep) await rm(base, { recursive: true, force: true })
  }
}

const replicaAt = args.indexOf('--replica')
const role = args.includes('--runner')
  ? runnerRole()
  : replicaAt >= 0
    ? replicaRole(args[replicaAt + 1]!, args[replicaAt + 2]!, JSON.parse(args[replicaAt + 3]!))
    : main()
role.catch((err: unknown) => {
  console.error(err)
  process.exitCode = 1
})
