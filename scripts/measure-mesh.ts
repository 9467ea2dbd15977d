/**
 * npm run measure:mesh [-- --peers 3 --rounds 5 --limit 40]: how long hyperswarm peers, each in
 * its own process, take to connect to every other one over a private DHT testnet on 127.0.0.1
 * (a fresh testnet and topic each round). Prints each peer's time to a full mesh, or "limit".
 * `--dial`: each peer also dials every other one by its key (hyperswarm joinPeer), as a Shoal
 * node dials every member gossip names; without it, peers only find each other on the topic.
 *
 * Why it exists: hyperdht 6.33-6.34 race their LAN shortcut between peers on one address
 * (holepunchto/hyperdht#304) and left connections half-open for ~15 s; Shoal pins 6.32.0
 * (package.json overrides). Run this before changing that pin.
 */
import { spawn } from 'node:child_process'
import crypto from 'node:crypto'
import { parseArgs } from 'node:util'

const { values: opt, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    peers: { type: 'string', default: '3' },
    rounds: { type: 'string', default: '5' },
    limit: { type: 'string', default: '40' },
    dial: { type: 'boolean', default: false }
  }
})

/**
 * One peer: joins the topic (and dials `others` by key) and prints the ms until it saw `want`
 * distinct peers. `seed`: its key pair's seed (hex), so the conductor knows every key up front.
 */
async function peer(bootstrap: string, topic: string, want: number, limitMs: number, seed: string, others: string[]): Promise<void> {
  const Hyperswarm = (await import('hyperswarm')).default
  const DHT = (await import('hyperdht')).default
  const t0 = Date.now()
  const keyPair = DHT.keyPair(Buffer.from(seed, 'hex'))
  const swarm = new Hyperswarm({ keyPair, dht: new DHT({ bootstrap: JSON.parse(bootstrap), host: '127.0.0.1' }) })
  const seen = new Set<string>()
  let done = false
  swarm.on('connection', (conn: { on(e: string, f: () => void): void }, info: { publicKey: Buffer }) => {
    conn.on('error', () => {})
    seen.add(info.publicKey.toString('hex'))
    if (seen.size >= want && !done) {
      done = true
      console.log(Date.now() - t0)
    }
  })
  swarm.join(Buffer.from(topic, 'hex'), { server: true, client: true })
  for (const key of others) swarm.joinPeer(Buffer.from(key, 'hex'))
  setTimeout(() => {
    if (!done) console.log('limit')
  }, limitMs).unref()
}

async function main(): Promise<void> {
  const peers = Number(opt.peers)
  const limitMs = Number(opt.limit) * 1000
  const createTestnet = (await import('hyperdht/testnet.js')).default
  const { createRequire } = await import('node:module')
  console.log(`hyperdht ${createRequire(import.meta.url)('hyperdht/package.json').version}, ${peers} peers, limit ${opt.limit} s${opt.dial ? ', dialling each other by key' : ''}`)
  for (let r = 0; r < Number(opt.rounds); r++) {
    const testnet = await createTestnet(3, { host: '127.0.0.1' })
    const topic = crypto.randomBytes(32).toString('hex')
    const procs: ReturnType<typeof spawn>[] = []
    const DHT = (await import('hyperdht')).default
    const seeds = Array.from({ length: peers }, () => crypto.randomBytes(32))
    const keys = seeds.map((s) => DHT.keyPair(s).publicKey.toString('hex'))
    const times = await Promise.all(
      Array.from({ length: peers }, (_, i) => {
        const others = opt.dial ? keys.filter((_k, j) => j !== i).join(',') : ''
        const args = ['--import', 'tsx', import.meta.filename, 'peer', JSON.stringify(testnet.bootstrap), topic, String(peers - 1), String(limitMs), seeds[i]!.toString('hex'), others]
        const p = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] })
        procs.push(p)
        return new Promise<string>((resolve) => {
          let out = ''
          p.stdout!.on('data', (d: Buffer) => {
            out += d
            if (out.includes('\n')) resolve(out.trim())
          })
          p.once('exit', () => resolve(out.trim() || 'exited'))
        })
      })
    )
    for (const p of procs) p.kill('SIGKILL')
    console.log(`round ${r + 1}: ms until each peer saw all others: ${times.join(', ')}`)
    await testnet.destroy()
  }
}

const [role, ...args] = positionals
const run = role === 'peer' ? peer(args[0]!, args[1]!, Number(args[2]), Number(args[3]), args[4]!, args[5] ? args[5].split(',') : []) : main()
run.catch((err: unknown) => {
  console.error(err)
  process.exit(1)
})
