import type { AddressInfo, Server } from 'node:net'

/**
 * Starts `server` listening on host:port; resolves with the bound address, rejects with the
 * listen error (EADDRINUSE…). Call once per server; the fronts cache the promise.
 */
export function listen(server: Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise<AddressInfo>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve(server.address() as AddressInfo)
    })
  })
}
