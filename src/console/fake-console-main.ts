/**
 * The console on a simulated cluster, with no node running: a demo, and the program the
 * real-terminal test drives. `node --import tsx src/console/fake-console-main.ts [--nodes N]
 * [--apps M] [--step-ms MS] [--poll-ms MS] [--read-only]`
 */
import { parseArgs } from 'node:util'
import { FakeCluster } from './fake-source.js'
import { runConsole } from './run-console.js'

const { values } = parseArgs({
  options: {
    nodes: { type: 'string', default: '5' },
    apps: { type: 'string', default: '12' },
    'step-ms': { type: 'string', default: '400' },
    'poll-ms': { type: 'string', default: '2000' },
    'read-only': { type: 'boolean', default: false }
  }
})

const cluster = new FakeCluster({ nodes: Number(values.nodes), apps: Number(values.apps), stepMs: Number(values['step-ms']) })
runConsole(cluster, { readOnly: values['read-only'] ?? false, pollMs: Number(values['poll-ms']) })
  .then(() => {
    cluster.close()
    process.exit(0)
  })
  .catch((err: unknown) => {
    cluster.close()
    console.error(err)
    process.exit(1)
  })
