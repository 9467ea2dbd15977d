import dgram from 'node:dgram'
import DHT from 'hyperdht'

/** A private DHT bootstrap node on 127.0.0.1, as `shoal bootstrap` runs it. */
export async function privateBootstrap(): Promise<{ bootstrap: Array<{ host: string; port: number }>; arg: string; close: () => Promise<void> }> {
  const port = await new Promise<number>((resolve, reject) => {
    const sock = dgram.createSocket('udp4')
    sock.once('error', reject)
    sock.bind(0, '127.0.0.1', () => {
      const p = sock.address().port
      sock.close(() => resolve(p))
    })
  })
  const node = DHT.bootstrapper(port, '127.0.0.1', { host: '127.0.0.1' })
  await node.ready()
  return { bootstrap: [{ host: '127.0.0.1', port }], arg: `127.0.0.1:${port}`, close: () => node.destroy() }
}
