/**
 * npm run bench:proxy — keep-alive HTTP load (wrk) against the same app: directly; through a
 * Shoal HTTP front on the master's node (local target); through a front on another node that
 * forwards to the master's front over a front link (as nodes do when the master's address
 * leads to it), and without the link (one connection per client connection, for comparison); through a front on
 * another node via a mesh tunnel (hyperswarm, private testnet: the path behind NAT); and through
 * node-http-proxy with a keep-alive agent; and, as a reference floor, a bare byte pipe (no
 * HTTP). Then bulk TCP throughput direct vs through the TCP front (local, other node, tunnel).
 *
 * Each party runs in its own process, as it would on real nodes. Everything binds 127.0.0.1.
 * BENCH_SECONDS (default 5) per HTTP run, BENCH_CONNECTIONS (default 50), BENCH_TCP_SECONDS (3).
 * BENCH_PROFILE=DIR writes a CPU profile of every party to DIR (node --cpu-prof).
 *
 * References beside Shoal, to tell what this machine allows: two bare byte pipes in a row (the
 * least any two Node processes forwarding HTTP can cost, as the remote path needs), and, when
 * `haproxy` is installed (apt-get install -y haproxy), HAProxy with one thread adding the same
 * forwarding headers, once and as two hops: what a proxy written in C reaches here.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import crypto from 'node:crypto'
import http from 'node:http'
import net, { type AddressInfo } from 'node:net'
import path from 'node:path'
import readline from 'node:readline'
import fs from 'node:fs'
import os from 'node:os'
import { pathToFileURL } from 'node:url'

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5)
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50)
const TCP_SECONDS = Number(process.env.BENCH_TCP_SECONDS ?? 3)
/** Every HTTP path is measured this many times, interleaved; each figure is the median run's
 * (the machine is shared: one run alone can be far off either way). */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3)
const CLK_TCK = 100
const HOST = 'bench.test'
const PIPE = 'bare byte pipe (reference)'
const PIPE2 = 'two byte pipes (reference)'
const LINKED = 'shoal, other node (link)'
const HAPROXY = 'haproxy, 1 thread (reference)'
const HAPROXY2 = 'two haproxy hops (reference)'
const PROFILE_DIR = process.env.BENCH_PROFILE ? path.resolve(process.env.BENCH_PROFILE) : null
const SELF = path.resolve(import.meta.dirname, 'bench-proxy.ts')
const ROOT = path.resolve(import.meta.dirname, '..')
/**
 * The parties run Shoal's compiled JavaScript, as a deployed node does (and as node-http-proxy
 * is plain JS): tsx's on-the-fly transform adds per-closure helpers that would skew the numbers.
 */
// Inside this checkout, never under node_modules: that may be a link shared with other checkouts,
// and each must benchmark its own sources. Compiled packages still resolve through node_modules.
const LIB = path.join(ROOT, '.bench-build')
const lib = (rel: string) => import(pathToFileURL(path.join(LIB, rel)).href)

type Ready = Record<string, number>
/** Node ids for the front links between the bench's two nodes (the handshake names the node). */
const MASTER_ID = 'a'.repeat(64)
const OTHER_ID = 'b'.repeat(64)

function listen(server: net.Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)))
}

function ready(info: Ready): void {
  process.stdout.write(`READY ${JSON.stringify(info)}\n`)
}

// ---------------------------------------------------------------- roles (child processes)

/** The app: a small HTTP answer, and a TCP sink that reports the bytes it got on FIN. */
async function roleApp(): Promise<void> {
  const body = Buffer.from('hello from the app\n')
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length })
    res.end(body)
  })
  server.keepAliveTimeout = 60_000
  const sink = net.createServer({ allowHalfOpen: true }, (s) => {
    let n = 0
    s.on('data', (d: Buffer) => (n += d.length))
    s.on('end', () => s.end(String(n)))
    s.on('error', () => {})
  })
  ready({ http: await listen(server), tcp: await listen(sink) })
}

async function roleMaster(appHttp: number, appTcp: number, bootstrap: string, topic: string): Promise<void> {
  const { HttpFront } = await lib('proxy/http-front.js')
  const { TcpFront } = await lib('proxy/tcp-front.js')
  const { MeshTunnel } = await lib('mesh/tunnel.js')
  const { FrontLinks } = await lib('mesh/front-links.js')
  const Hyperswarm = (await import('hyperswarm')).default
  const DHT = (await import('hyperdht')).default
  const Protomux = (await import('protomux')).default
  // As the node's ClusterRoutes does, the resolvers answer synchronously too.
  const local = { kind: 'local', port: appHttp }
  // Streams from other nodes, over a front link or a mesh tunnel, are served as the node serves
  // them (LocalApps.acceptTunnel): by the front of their kind, as its own clients' connections.
  const serveStream = (name: string, s: any) => (name === 'http:bench' ? front.accept(s) : name === 'tcp:bench' ? tcp.accept(s) : s.refuse(new Error(`no ${name}`)))
  const links = new FrontLinks({ self: MASTER_ID, onStream: serveStream })
  const front = new HttpFront({
    resolver: { resolve: () => ({ app: 'bench' }), target: async () => local, currentTarget: () => local },
    acceptLink: (sock: unknown, rest: unknown, url: string) => links.accept(sock, rest, url)
  })
  const tcp = new TcpFront({ app: 'bench', port: 0, resolver: { target: async () => ({ kind: 'local', port: appTcp }) } })
  await front.ready()
  await tcp.ready()
  const swarm = new Hyperswarm({ dht: new DHT({ bootstrap: JSON.parse(bootstrap), host: '127.0.0.1' }) })
  if (process.env.BENCH_DEBUG) {
    const { monitorEventLoopDelay } = await import('node:perf_hooks')
    const h = monitorEventLoopDelay({ resolution: 10 })
    h.enable()
    setInterval(() => {
      console.error(`master loop delay max ${(h.max / 1e6).toFixed(0)} ms, connections ${swarm.connections.size}`)
      h.reset()
    }, 1000).unref()
  }
  swarm.on('connection', (conn: any) => {
    if (process.env.BENCH_DEBUG) console.error(new Date().toISOString(), 'master connection')
    conn.on('error', (err: Error) => process.env.BENCH_DEBUG && console.error(new Date().toISOString(), 'master conn error', err.message))
    conn.on('close', () => process.env.BENCH_DEBUG && console.error(new Date().toISOString(), 'master conn closed'))
    const t = new MeshTunnel(Protomux.from(conn), { onStream: serveStream })
    t.on('bad-frame', (err: Error) => process.env.BENCH_DEBUG && console.error('master bad frame', err))
  })
  await swarm.join(Buffer.from(topic, 'hex'), { server: true, client: true }).flushed()
  if (process.env.BENCH_DEBUG) console.error('master key', swarm.keyPair.publicKey.toString('hex').slice(0, 8), swarm.dht.address())
  ready({ http: front.port, tcp: tcp.port })
}

/**
 * Another node, reaching the master at its address as ClusterRoutes does: HTTP over a front link
 * (mesh/front-links.ts; ready only once it is up, where a node would use the mesh tunnel until
 * then); or, with `links` false, one connection per client connection (as before front links, for
 * comparison). TCP one connection per client connection, as nodes do.
 */
async function roleDirect(masterHttp: number, masterTcp: number, useLinks: boolean): Promise<void> {
  const { HttpFront } = await lib('proxy/http-front.js')
  const { TcpFront } = await lib('proxy/tcp-front.js')
  const { FrontLinks } = await lib('mesh/front-links.js')
  const { connectTarget } = await lib('proxy/target-connect.js')
  const links = new FrontLinks({ self: OTHER_ID, onStream: (_name: string, s: any) => s.refuse(new Error('no streams here')) })
  const host = '127.0.0.1'
  const direct = { kind: 'direct', host, port: masterHttp }
  const viaLink = { kind: 'tunnel', key: 'link', open: () => links.open(host, masterHttp, MASTER_ID, 'http:bench') ?? connectTarget(direct) }
  const httpRoute = () => (useLinks && links.reach(host, masterHttp, MASTER_ID) === 'up' ? viaLink : direct)
  // TCP apps are reached with a connection each, as ClusterRoutes does.
  const tcpRoute = () => ({ kind: 'direct', host, port: masterTcp })
  const front = new HttpFront({ resolver: { resolve: () => ({ app: 'bench' }), target: async () => httpRoute(), currentTarget: httpRoute } })
  const tcp = new TcpFront({ app: 'bench', port: 0, resolver: { target: async () => tcpRoute() } })
  await front.ready()
  await tcp.ready()
  if (useLinks) {
    const deadline = Date.now() + 10_000
    while (links.reach(host, masterHttp, MASTER_ID) !== 'up') {
      if (Date.now() > deadline) throw new Error('no front link to the master within 10 s')
      await new Promise((r) => setTimeout(r, 50))
    }
  }
  ready({ http: front.port, tcp: tcp.port })
}

async function roleTunnel(bootstrap: string, topic: string): Promise<void> {
  const { HttpFront } = await lib('proxy/http-front.js')
  const { TcpFront } = await lib('proxy/tcp-front.js')
  const { MeshTunnel } = await lib('mesh/tunnel.js')
  const Hyperswarm = (await import('hyperswarm')).default
  const DHT = (await import('hyperdht')).default
  const Protomux = (await import('protomux')).default
  const debug = (...a: unknown[]) => process.env.BENCH_DEBUG && console.error(new Date().toISOString(), 'tunnel node:', ...a)
  const swarm = new Hyperswarm({ dht: new DHT({ bootstrap: JSON.parse(bootstrap), host: '127.0.0.1' }) })
  // Across processes the first hyperswarm connection is sometimes half-open (the far side never
  // sees it, and it times out): always tunnel over the newest connection.
  let tunnel: InstanceType<typeof MeshTunnel> | null = null
  swarm.on('connection', (conn: any) => {
    debug('connection')
    conn.on('error', (err: Error) => debug('connection error', err.message))
    tunnel = new MeshTunnel(Protomux.from(conn))
  })
  swarm.join(Buffer.from(topic, 'hex'), { server: true, client: true })
  const open = (app: string) => {
    if (!tunnel) throw new Error('no mesh connection yet')
    return tunnel.open(app)
  }
  const front = new HttpFront({
    resolver: {
      resolve: () => ({ app: 'bench' }),
      target: async () => ({ kind: 'tunnel', key: 'master', open: () => open('http:bench') }),
      currentTarget: () => ({ kind: 'tunnel', key: 'master', open: () => open('http:bench') })
    }
  })
  const tcp = new TcpFront({ app: 'bench', port: 0, resolver: { target: async () => ({ kind: 'tunnel', key: 'master', open: () => open('tcp:bench') }) } })
  front.on('upstream-error', (e: { error: Error }) => debug('http upstream error', e.error.message))
  tcp.on('upstream-error', (e: { error: Error }) => debug('tcp upstream error', e.error.message))
  await front.ready()
  await tcp.ready()
  // Ready once a request really went through the tunnel and back.
  const deadline = Date.now() + 60_000
  for (;;) {
    const ok = tunnel !== null && (await probeOnce(front.port))
    if (ok) break
    if (Date.now() > deadline) throw new Error('no working tunnel to the master within 60 s')
    await new Promise((r) => setTimeout(r, 250))
  }
  ready({ http: front.port, tcp: tcp.port })
}

function probeOnce(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/', agent: false, timeout: 2000, headers: { host: HOST } }, (res) => {
      res.resume()
      resolve(res.statusCode === 200)
    })
    req.on('timeout', () => req.destroy())
    req.on('error', () => resolve(false))
  })
}

async function roleHttpProxy(appHttp: number): Promise<void> {
  const httpProxy = (await import('http-proxy')).default
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 })
  const proxy = httpProxy.createProxyServer({ target: `http://127.0.0.1:${appHttp}`, agent, xfwd: true })
  proxy.on('error', (_err, _req, res) => {
    if (res instanceof http.ServerResponse && !res.headersSent) res.writeHead(502).end()
  })
  const server = http.createServer((req, res) => proxy.web(req, res))
  server.keepAliveTimeout = 60_000
  ready({ http: await listen(server) })
}

/**
 * A reference, not a proxy: raw bytes piped between the client and the app, no parsing, no
 * routing. What any HTTP proxy written for Node costs at the very least on this machine.
 */
async function roleBytePipe(appHttp: number): Promise<void> {
  const server = net.createServer((client) => {
    const up = net.connect(appHttp, '127.0.0.1')
    client.setNoDelay(true)
    up.setNoDelay(true)
    client.pipe(up).pipe(client)
    client.on('error', () => up.destroy())
    up.on('error', () => client.destroy())
  })
  ready({ http: await listen(server) })
}

// ---------------------------------------------------------------- the conductor

const children: ChildProcess[] = []

/** A port nothing listens on right now (for a child that cannot report its own). */
async function freePort(): Promise<number> {
  const probe = net.createServer()
  const port = await listen(probe)
  await new Promise((resolve) => probe.close(resolve))
  return port
}

/**
 * HAProxy in front of `upstream`, one thread, keep-alive both ways, adding the headers Shoal's
 * front adds (X-Forwarded-For/-Host/-Proto and a hop counter). Null when haproxy is not installed.
 */
async function startHaproxy(upstream: number): Promise<{ http: number; pid: number } | null> {
  if (spawnSync('haproxy', ['-v']).error) return null
  const port = await freePort()
  const config = path.join(os.tmpdir(), `shoal-bench-haproxy-${process.pid}-${port}.cfg`)
  fs.writeFileSync(
    config,
    [
      'global',
      '  nbthread 1',
      '  maxconn 4096',
      'defaults',
      '  mode http',
      '  option http-keep-alive',
      '  timeout connect 5s',
      '  timeout client 60s',
      '  timeout server 60s',
      'frontend bench',
      `  bind 127.0.0.1:${port}`,
      '  option forwardfor',
      '  http-request set-header X-Forwarded-Proto http',
      '  http-request set-header X-Forwarded-Host %[req.hdr(host)]',
      '  http-request set-header X-Shoal-Hops 1',
      '  default_backend app',
      'backend app',
      '  http-reuse always',
      `  server app 127.0.0.1:${upstream}`,
      ''
    ].join('\n')
  )
  const child = spawn('haproxy', ['-db', '-f', config], { stdio: ['ignore', 'ignore', 'inherit'] })
  children.push(child)
  child.once('exit', () => fs.rmSync(config, { force: true }))
  for (let i = 0; i < 100; i++) {
    const up = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => resolve(true))
      s.on('error', () => resolve(false))
      s.on('connect', () => s.destroy())
    })
    if (up) return { http: port, pid: child.pid! }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error('haproxy did not start listening')
}


/** CPU seconds (user + system) a process has used so far. */
function cpuSeconds(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK
}

function start(role: string, ...args: string[]): Promise<Ready & { pid: number }> {
  const prof = PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${path.join(PROFILE_DIR, role)}`] : []
  const child = spawn(process.execPath, [...prof, '--import', 'tsx', SELF, role, ...args], { stdio: ['ignore', 'pipe', 'inherit'] })
  children.push(child)
  return new Promise((resolve, reject) => {
    const rl = readline.createInterface({ input: child.stdout! })
    rl.on('line', (line) => {
      if (line.startsWith('READY ')) resolve({ ...JSON.parse(line.slice(6)), pid: child.pid! })
    })
    child.once('exit', (code) => reject(new Error(`${role} exited with ${code}`)))
  })
}

interface WrkResult {
  rps: number
  requests: number
  p50: number
  p99: number
  errors: number
}

function toMs(v: string): number {
  const m = /^([\d.]+)(us|ms|s)$/.exec(v.trim())
  if (!m) return NaN
  const n = Number(m[1])
  return m[2] === 'us' ? n / 1000 : m[2] === 's' ? n * 1000 : n
}

function wrk(port: number, extra: string[] = [], connections = CONNECTIONS): WrkResult {
  const out = spawnSync('wrk', ['-t2', `-c${connections}`, `-d${SECONDS}s`, '--latency', ...extra, '-H', `Host: ${HOST}`, `http://127.0.0.1:${port}/`], {
    encoding: 'utf8',
    timeout: (SECONDS + 30) * 1000
  })
  if (out.status !== 0) throw new Error(`wrk failed: ${out.stderr || out.error}`)
  const text = out.stdout
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(text)?.[1] ?? NaN)
  const requests = Number(/(\d+) requests in/.exec(text)?.[1] ?? NaN)
  const p50 = toMs(/^\s+50%\s+(\S+)/m.exec(text)?.[1] ?? '')
  const p99 = toMs(/^\s+99%\s+(\S+)/m.exec(text)?.[1] ?? '')
  const errLine = /Non-2xx or 3xx responses:\s+(\d+)/.exec(text)
  const sockErr = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text)
  const errors = Number(errLine?.[1] ?? 0) + (sockErr ? sockErr.slice(1).reduce((a, b) => a + Number(b), 0) : 0)
  return { rps, requests, p50, p99, errors }
}

/** Streams zeros for TCP_SECONDS, half-closes, waits for the sink's byte count. MiB/s. */
function bulk(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true })
    const chunk = Buffer.alloc(256 * 1024)
    const t0 = performance.now()
    let stop = false
    setTimeout(() => (stop = true), TCP_SECONDS * 1000)
    let reply = ''
    s.on('data', (d) => (reply += d))
    s.on('end', () => {
      const secs = (performance.now() - t0) / 1000
      s.destroy()
      resolve(Number(reply) / (1024 * 1024) / secs)
    })
    s.on('error', reject)
    const pump = () => {
      while (!stop) {
        if (!s.write(chunk)) return s.once('drain', pump)
      }
      s.end()
    }
    s.once('connect', pump)
  })
}

async function main(): Promise<void> {
  if (spawnSync('wrk', ['--version']).error) throw new Error('wrk not found: apt-get install -y wrk')
  process.stderr.write('compiling …\n')
  // Type errors elsewhere in the tree do not stop tsc from emitting; the files we need must exist.
  spawnSync(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(ROOT, 'tsconfig.json'), '--outDir', LIB], { stdio: 'ignore' })
  for (const f of ['proxy/http-front.js', 'proxy/tcp-front.js', 'mesh/tunnel.js', 'proxy/target-connect.js']) {
    if (!fs.existsSync(path.join(LIB, f))) throw new Error(`compiling failed: ${f} missing in ${LIB}`)
  }
  const createTestnet = (await import('hyperdht/testnet.js')).default
  const testnet = await createTestnet(3, { host: '127.0.0.1' })
  const bootstrap = JSON.stringify(testnet.bootstrap)
  const topic = crypto.randomBytes(32).toString('hex')
  try {
    const app = await start('app')
    const master = await start('master', String(app.http), String(app.tcp), bootstrap, topic)
    const [direct, direct1, tunnel, proxy, pipe] = await Promise.all([
      start('direct', String(master.http), String(master.tcp), 'links'),
      start('direct', String(master.http), String(master.tcp), 'no-links'),
      start('tunnel', bootstrap, topic),
      start('http-proxy', String(app.http)),
      start('byte-pipe', String(app.http))
    ])
    const pipe2 = await start('byte-pipe', String(pipe.http))
    const haproxy = await startHaproxy(app.http)
    const haproxy2 = haproxy && (await startHaproxy(haproxy.http))
    if (!haproxy) process.stderr.write('haproxy not installed: its reference rows are left out (apt-get install -y haproxy)\n')
    const only = process.env.BENCH_ONLY
    // [name, port, processes doing proxy work on that path]
    const runs = ([
      ['app directly', app.http, []],
      ['shoal, master node (local)', master.http, [master.pid]],
      [LINKED, direct.http, [direct.pid, master.pid]],
      ['shoal, other node (no link)', direct1.http, [direct1.pid, master.pid]],
      ['shoal, other node (tunnel)', tunnel.http, [tunnel.pid, master.pid]],
      ['node-http-proxy (keep-alive)', proxy.http, [proxy.pid]],
      [PIPE, pipe.http, [pipe.pid]],
      [PIPE2, pipe2.http, [pipe2.pid, pipe.pid]],
      ...(haproxy && haproxy2
        ? ([
            [HAPROXY, haproxy.http, [haproxy.pid]],
            [HAPROXY2, haproxy2.http, [haproxy2.pid, haproxy.pid]]
          ] as Array<[string, number, number[]]>)
        : [])
    ] as Array<[string, number, number[]]>).filter(
      ([name]) => !only || name === 'app directly' || name === 'node-http-proxy (keep-alive)' || name.includes('reference') || name.includes(only)
    )
    // Warm every path once (pools, JIT), briefly.
    for (const [, port] of runs) await fetch(`http://127.0.0.1:${port}/`, { headers: { host: HOST } }).then((r) => r.text())
    const samples = new Map<string, Array<WrkResult & { cpuUs: number }>>()
    for (let round = 0; round < ROUNDS; round++) {
      for (let k = 0; k < runs.length; k++) {
        const [name, port, pids] = runs[(k + round) % runs.length]
        process.stderr.write(`round ${round + 1}/${ROUNDS}: wrk ${name} …\n`)
        const before = pids.reduce((a, p) => a + cpuSeconds(p), 0)
        const r = wrk(port)
        const cpuUs = pids.length === 0 ? NaN : ((pids.reduce((a, p) => a + cpuSeconds(p), 0) - before) * 1e6) / r.requests
        samples.set(name, [...(samples.get(name) ?? []), { ...r, cpuUs }])
      }
    }
    // The run with the median rate (its latencies with it), and the median CPU per request.
    const results = new Map<string, WrkResult & { cpuUs: number }>()
    for (const [name, runs] of samples) {
      const byRate = [...runs].sort((a, b) => a.rps - b.rps)
      const cpu = runs.map((r) => r.cpuUs).sort((a, b) => a - b)
      results.set(name, { ...byRate[Math.floor(byRate.length / 2)]!, cpuUs: cpu[Math.floor(cpu.length / 2)]! })
    }
    const base = results.get('app directly')!.rps
    const hp = results.get('node-http-proxy (keep-alive)')!
    console.log(`\nHTTP keep-alive, wrk -t2 -c${CONNECTIONS} -d${SECONDS}s, median of ${ROUNDS} interleaved rounds, ${new Date().toISOString()}, ${process.version}, load ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} CPUs`)
    console.log('path                            req/s  ×direct  ×http-proxy   p50 ms   p99 ms  errors  proxy CPU µs/req  ×http-proxy CPU')
    for (const [name, r] of results) {
      console.log(
        `${name.padEnd(30)} ${r.rps.toFixed(0).padStart(6)}   ${(r.rps / base).toFixed(2).padStart(6)}   ${(r.rps / hp.rps).toFixed(2).padStart(9)}   ${r.p50.toFixed(2).padStart(6)}  ${r.p99.toFixed(2).padStart(7)}  ${String(r.errors).padStart(6)}  ${Number.isNaN(r.cpuUs) ? '               -' : r.cpuUs.toFixed(0).padStart(16)}  ${Number.isNaN(r.cpuUs) ? '' : (hp.cpuUs / r.cpuUs).toFixed(2).padStart(15)}`
      )
    }
    // Added latency at half the load Shoal sustained: each connection waits between requests
    // (wrk's delay() hook), so the offered rate is fixed rather than as fast as possible.
    if (!only) {
      const halfRate = results.get('shoal, master node (local)')!.rps / 2
      const conns = 10
      const delayMs = Math.max(1, Math.round((conns * 1000) / halfRate))
      const script = path.join(os.tmpdir(), `shoal-bench-delay-${process.pid}.lua`)
      fs.writeFileSync(script, `function delay()\n  return ${delayMs}\nend\n`)
      try {
        const d = wrk(app.http, ['-s', script], conns)
        const l = wrk(master.http, ['-s', script], conns)
        console.log(
          `\nAt half of Shoal's max load (~${Math.round((conns * 1000) / delayMs)} req/s offered, ${conns} connections): ` +
            `direct p50 ${d.p50.toFixed(2)} / p99 ${d.p99.toFixed(2)} ms, through Shoal p50 ${l.p50.toFixed(2)} / p99 ${l.p99.toFixed(2)} ms → added p99 ${(l.p99 - d.p99).toFixed(2)} ms`
        )
      } finally {
        fs.rmSync(script, { force: true })
      }
    }
    console.log(`\nBulk TCP, one connection, ${TCP_SECONDS} s each`)
    const tcpRuns: Array<[string, number]> = [
      ['app directly', app.tcp],
      ['shoal TCP front, master node (local)', master.tcp],
      ['shoal TCP front, other node (direct)', direct.tcp],
      ['shoal TCP front, other node (tunnel)', tunnel.tcp]
    ]
    let tcpBase = 0
    for (const [name, port] of tcpRuns) {
      const mibs = await bulk(port)
      if (!tcpBase) tcpBase = mibs
      console.log(`${name.padEnd(38)} ${mibs.toFixed(0).padStart(6)} MiB/s  ×direct ${(mibs / tcpBase).toFixed(2)}`)
    }
    if (only) return
    const local = results.get('shoal, master node (local)')!.rps
    const localCpu = results.get('shoal, master node (local)')!.cpuUs
    // Another node reaches the master at its address when it answers, over a front link; the
    // mesh tunnel is the fallback where it does not (NAT), shown apart.
    const remote = results.get(LINKED)!.rps
    const tunnelled = results.get('shoal, other node (tunnel)')!.rps
    const floor = results.get(PIPE)!.rps
    const floor2 = results.get(PIPE2)!.rps
    console.log(
      `\nreferences: a bare byte pipe in Node (no HTTP at all) reaches ${(floor / base).toFixed(2)}× direct here, two in a row ${(floor2 / base).toFixed(2)}×; ` +
        `Shoal's local path is ${(local / floor).toFixed(2)}× one pipe, its remote path ${(remote / floor2).toFixed(2)}× two`
    )
    const ha = results.get(HAPROXY)
    const ha2 = results.get(HAPROXY2)
    if (ha && ha2) console.log(`HAProxy (C, one thread, same headers) reaches ${(ha.rps / base).toFixed(2)}× direct, two hops ${(ha2.rps / base).toFixed(2)}×`)
    console.log(
      `\ngoals: local ≥ 0.6×direct: ${(local / base).toFixed(2)} ${local / base >= 0.6 ? 'ok' : 'MISSED'}; ` +
        `local ≥ 1.2×http-proxy: ${(local / hp.rps).toFixed(2)} ${local / hp.rps >= 1.2 ? 'ok' : 'MISSED'} (CPU per request: ${(hp.cpuUs / localCpu).toFixed(2)}× cheaper); ` +
        `remote ≥ 0.4×direct (over the front link): ${(remote / base).toFixed(2)} ${remote / base >= 0.4 ? 'ok' : 'MISSED'}; ` +
        `through the mesh tunnel (no direct path): ${(tunnelled / base).toFixed(2)} ${tunnelled / base >= 0.4 ? 'ok' : 'MISSED'}`
    )
  } finally {
    // SIGTERM lets a profiled child write its profile on the way out.
    await Promise.all(children.map((c) => new Promise<void>((resolve) => {
      if (c.exitCode !== null || c.signalCode !== null) return resolve()
      c.once('exit', () => resolve())
      c.kill(PROFILE_DIR ? 'SIGTERM' : 'SIGKILL')
      setTimeout(() => c.kill('SIGKILL'), 5000).unref()
    })))
    await testnet.destroy()
  }
}

const [role, ...args] = process.argv.slice(2)
const roles: Record<string, (...a: string[]) => Promise<void>> = {
  app: roleApp,
  master: (h, t, b, tp) => roleMaster(Number(h), Number(t), b, tp),
  direct: (h, t, l) => roleDirect(Number(h), Number(t), l === 'links'),
  tunnel: (b, tp) => roleTunnel(b, tp),
  'http-proxy': (h) => roleHttpProxy(Number(h)),
  'byte-pipe': (h) => roleBytePipe(Number(h))
}
const run = role ? roles[role](...args) : main()
run.catch((err: unknown) => {
  console.error(err)
  process.exit(1)
})
// A child whose conductor died must not linger.
if (role) process.stdin.on?.('close', () => process.exit(0))
if (role) process.on('SIGTERM', () => process.exit(0))
