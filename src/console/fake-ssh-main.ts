/**
 * The console over SSH on a simulated cluster, with no node running: a demo of the SSH server.
 * `node --import tsx src/console/fake-ssh-main.ts --port 2222 --authorized-keys ~/.ssh/id_ed25519.pub
 * [--host-key-dir DIR] [--host 127.0.0.1]`, then `ssh -p 2222 you@127.0.0.1`.
 */
import { homedir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { FakeCluster } from './fake-source.js'
import { createConsoleSshServer } from './ssh-server.js'

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '2222' },
    host: { type: 'string', default: '127.0.0.1' },
    'authorized-keys': { type: 'string', default: join(homedir(), '.ssh', 'authorized_keys') },
    'host-key-dir': { type: 'string', default: join(homedir(), '.shoal-console-demo') },
    nodes: { type: 'string', default: '5' },
    apps: { type: 'string', default: '12' }
  }
})

const cluster = new FakeCluster({ nodes: Number(values.nodes), apps: Number(values.apps) })
const server = await createConsoleSshServer({
  hostKeyDir: values['host-key-dir']!,
  authorizedKeysFile: values['authorized-keys']!,
  source: () => cluster,
  host: values.host,
  port: Number(values.port),
  onError: (err) => console.error('ssh client:', (err as Error).message)
})
const { host, port } = server.address()
console.log(`console over SSH on ${host}:${port} (host key ${server.hostKey}); keys from ${values['authorized-keys']}`)
const stop = () => {
  server.close().then(() => {
    cluster.close()
    process.exit(0)
  }, (err: unknown) => {
    console.error(err)
    process.exit(1)
  })
}
process.on('SIGINT', stop)
process.on('SIGTERM', stop)
