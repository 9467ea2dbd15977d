import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ControlClient } from '../../control/client.js'
import { ControlSource } from '../../console/control-source.js'
import { runConsole } from '../../console/run-console.js'
import { parse, parsePort } from '../args.js'
import { LocalCluster } from '../demo/local-cluster.js'
import { DemoTraffic } from '../demo/traffic.js'

export const summary = 'start a local three-node demo cluster with an app and open the console'

const COUNTER = fileURLToPath(new URL('../../../examples/http-counter/server.mjs', import.meta.url))
const APP_HOST = 'counter.localhost'

export async function run(argv: string[]): Promise<number> {
  const { values } = parse(argv, { 'http-port': { type: 'string' }, 'ssh-port': { type: 'string' }, 'no-console': { type: 'boolean', default: false } })
  const firstHttpPort = parsePort(values['http-port'], '--http-port', 8081)
  const sshPort = parsePort(values['ssh-port'], '--ssh-port', 2222)
  const cluster = new LocalCluster()
  const log: string[] = []
  let traffic: DemoTraffic | null = null
  let client: ControlClient | null = null
  const stop = new AbortController()
  const onSignal = () => stop.abort()
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  try {
    console.log('starting a private bootstrap and three nodes (alpha, beta, gamma in zones a, b, c)…')
    await cluster.start({
      names: ['alpha', 'beta', 'gamma'],
      zones: ['a', 'b', 'c'],
      firstHttpPort,
      log: (line) => log.push(line),
      extra: (i, home) => (i === 0 ? sshArgs(home, sshPort) : [])
    })
    const first = cluster.nodes[0]!
    client = await ControlClient.connect(first.home)
    await waitFor(async () => (await client!.status()).nodes.filter((n) => n.status === 'alive').length === 3, 20_000)
    await client.addApp({ name: 'counter', cmd: `node ${COUNTER}`, httpHosts: [APP_HOST], health: 'http:/health', replicas: 2 })
    traffic = new DemoTraffic(cluster.nodes.map((n) => n.httpPort), APP_HOST)
    traffic.start()
    const help = [
      '',
      'The demo cluster is up. Try, from another terminal:',
      ...cluster.nodes.map((n) => `  curl -H 'Host: ${APP_HOST}' http://127.0.0.1:${n.httpPort}/count      # through ${n.name}`),
      `  curl -H 'Host: ${APP_HOST}' -d hello http://127.0.0.1:${firstHttpPort}/records`,
      `  ssh -p ${sshPort} demo@127.0.0.1                      # ${sshNote()}`,
      `  node bin/shoal.js status --home ${first.home}`,
      ''
    ].join('\n')
    console.log(help)
    if (values['no-console'] || !process.stdout.isTTY) {
      console.log('(no terminal: not opening the console; Ctrl-C stops the demo)')
      await new Promise<void>((resolve) => stop.signal.addEventListener('abort', () => resolve(), { once: true }))
    } else {
      // The console covers what was printed: its help (?) shows the commands to try.
      const notes = [
        `curl -H 'Host: ${APP_HOST}' http://127.0.0.1:${firstHttpPort}/count   (${cluster.nodes.slice(1).map((n) => n.httpPort).join(', ')}: the other nodes)`,
        `curl -H 'Host: ${APP_HOST}' -d hello http://127.0.0.1:${firstHttpPort}/records`,
        `ssh -p ${sshPort} demo@127.0.0.1   (${sshNote()})`
      ]
      await runConsole(new ControlSource(client), { readOnly: false, signal: stop.signal, notes })
    }
    return 0
  } finally {
    traffic?.stop()
    client?.close()
    console.log('stopping the demo cluster…')
    await cluster.stop()
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
}

const KEY_FILES = ['id_ed25519.pub', 'id_ecdsa.pub', 'id_rsa.pub']

function userKeys(): string[] {
  return KEY_FILES.map((name) => join(homedir(), '.ssh', name)).filter((path) => existsSync(path)).map((path) => readFileSync(path, 'utf8').trim())
}

/** What the ssh hint adds: whose keys get in, or that none will. */
function sshNote(): string {
  return userKeys().length > 0 ? 'the console over SSH, for your keys in ~/.ssh' : 'refused: there is no key in ~/.ssh/*.pub to let in (make one with ssh-keygen, restart the demo)'
}

/** The first node serves the console over SSH to the keys in ~/.ssh (if any). */
function sshArgs(home: string, port: number): string[] {
  const keys = userKeys()
  const file = join(home, '..', 'authorized_keys')
  writeFileSync(file, keys.join('\n') + '\n', { mode: 0o600 })
  return ['--ssh-port', String(port), '--authorized-keys', file]
}

async function waitFor(check: () => Promise<boolean>, ms: number): Promise<void> {
  const deadline = Date.now() + ms
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error('the demo nodes did not find each other in time')
    await new Promise((r) => setTimeout(r, 200))
  }
}
