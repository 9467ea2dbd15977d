import dgram from 'node:dgram'
import DHT from 'hyperdht'
import { ShoalError } from '../../core/errors.js'
import { portError } from '../../node/port-error.js'
import { parse, parsePort } from '../args.js'

export const summary = 'run a private DHT bootstrap node (tests, demos, LANs without internet)'

export async function run(argv: string[]): Promise<number> {
  const { values } = parse(argv, { host: { type: 'string' }, port: { type: 'string' } })
  if (values.host === undefined) throw new ShoalError('BAD_ARGUMENT', 'shoal bootstrap needs --host ADDRESS (the address other nodes reach it on)')
  const port = parsePort(values.port, '--port', 49737)
  // Bind to the given address too: never listen on every interface by surprise.
  const node = DHT.bootstrapper(port === 0 ? await freeUdpPort(values.host) : port, values.host, { host: values.host })
  await node.ready().catch((err: NodeJS.ErrnoException) => {
    throw portError(err, `the bootstrap port ${values.host}:${port}`, '--port P')
  })
  const addr = node.address()
  console.log(`bootstrap node listening on ${addr.host}:${addr.port}`)
  console.log(`start nodes with: shoal up --bootstrap ${addr.host}:${addr.port} ...`)
  await new Promise<void>((resolve) => {
    const stop = () => resolve()
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
  })
  await node.destroy()
  return 0
}

/** hyperdht's bootstrapper wants a fixed port; --port 0 asks the OS for a free one. */
function freeUdpPort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const sock = dgram.createSocket('udp4')
    sock.once('error', reject)
    sock.bind(0, host, () => {
      const { port } = sock.address()
      sock.close(() => resolve(port))
    })
  })
}
