import http from 'node:http'
import net from 'node:net'

export interface Reply {
  status: number
  headers: http.IncomingHttpHeaders
  body: string
}

/** One HTTP request to 127.0.0.1:port (or `address`) with a Host header; never throws for HTTP statuses. */
export function request(port: number, host: string, opts: { method?: string; path?: string; body?: string; timeoutMs?: number; address?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: opts.address ?? '127.0.0.1', port, method: opts.method ?? 'GET', path: opts.path ?? '/', headers: { host }, agent: false, timeout: opts.timeoutMs ?? 10_000 },
      (res) => {
        let body = ''
        res.setEncoding('utf8')
        res.on('data', (d) => (body += d))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }))
        res.on('error', reject)
      }
    )
    req.on('timeout', () => req.destroy(new Error('request timed out')))
    req.on('error', reject)
    req.end(opts.body)
  })
}

/** Sends `data` over TCP, half-closes, and returns everything the server sent back. */
export function tcpRoundTrip(port: number, data: string, timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1')
    let out = ''
    const timer = setTimeout(() => sock.destroy(new Error('tcp round trip timed out')), timeoutMs)
    sock.setEncoding('utf8')
    sock.on('data', (d) => (out += d))
    sock.on('end', () => {
      clearTimeout(timer)
      resolve(out)
    })
    sock.on('error', (e) => {
      clearTimeout(timer)
      reject(e)
    })
    sock.end(data)
  })
}
