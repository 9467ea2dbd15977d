import net, { type AddressInfo } from 'node:net'

/**
 * A TCP port that was free on `host` a moment ago (the OS picks it). Another process may still
 * take it before the app binds: the supervisor checks that the app is what listens there
 * (port-owner.ts) before it counts as healthy.
 */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer()
    srv.unref()
    srv.once('error', reject)
    srv.listen(0, host, () => {
      const { port } = srv.address() as AddressInfo
      srv.close(() => resolve(port))
    })
  })
}
