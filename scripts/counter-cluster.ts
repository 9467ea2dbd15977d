// The cluster the measure:* scripts run: three real `shoal up` processes from dist/ on a private
// testnet on 127.0.0.1 (nodes a, b, c), with examples/http-counter added as app "counter".
import { fileURLToPath } from 'node:url'
import { shoal, startCluster } from '../test/helpers/processes.js'
import { request } from '../test/helpers/http.js'
import { waitFor } from '../test/helpers/wait.js'

const COUNTER = fileURLToPath(new URL('../examples/http-counter/server.mjs', import.meta.url))
const NAMES = ['a', 'b', 'c']

/**
 * Starts the cluster and adds the counter app with `replicas` copies; resolves once it answers
 * on `host`. `seed`: a folder the app's volume starts with (app add --data); `nodeArgs`: more
 * `shoal up` options for every node.
 */
export async function startCounterCluster(host: string, replicas: number, opts: { seed?: string; nodeArgs?: string[] } = {}) {
  const cluster = await startCluster()
  try {
    const nodes = NAMES.map((n, i) => cluster.start(n, ['--port-offset', String(i * 10), ...(opts.nodeArgs ?? [])]))
    for (const n of nodes) await cluster.waitAlive(n, NAMES, 60_000)
    const status = (await cluster.status(nodes[0]!)).nodes
    const added = await shoal(['app', 'add', 'counter', '--home', nodes[0]!.home, '--cmd', `node ${COUNTER}`, '--http-host', host, '--health', 'http:/health', '--replicas', String(replicas), ...(opts.seed === undefined ? [] : ['--data', opts.seed])])
    if (added.code !== 0) throw new Error(`app add failed: ${added.stderr}`)
    await waitFor(async () => (await request(status[0]!.httpPort, host, { path: '/count' })).status === 200, 'the app to answer', 120_000)
    return { cluster, nodes, status, ctl: await cluster.client(nodes[0]!) }
  } catch (err) {
    await cluster.close()
    throw err
  }
}
