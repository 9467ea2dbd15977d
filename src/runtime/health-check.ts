import http from 'node:http'
import net from 'node:net'
import { ShoalError } from '../core/errors.js'

/** One probe gives up after this long. */
export const PROBE_TIMEOUT_MS = 1_000

/** `http:/PATH` (GET must answer 2xx/3xx), `tcp` (a connect must succeed), or `none`. */
export type HealthSpec = { kind: 'http'; path: string } | { kind: 'tcp' } | { kind: 'none' }

/** Parses the `--health` option. Throws BAD_SPEC on anything else. */
export function parseHealth(spec: string | undefined): HealthSpec {
  if (spec === undefined || spec === 'tcp') return { kind: 'tcp' }
  if (spec === 'none') return { kind: 'none' }
  const m = /^http:(\/[\x21-\x7e]*)$/.exec(spec)
  if (m) return { kind: 'http', path: m[1] }
  throw new ShoalError('BAD_SPEC', `health check must be http:/PATH, tcp or none, not "${spec}"`)
}

/** One probe of the app on 127.0.0.1:port. Never rejects. */
export function probe(spec: HealthSpec, port: number, timeoutMs = PROBE_TIMEOUT_MS): Promise<boolean> {
  switch (spec.kind) {
    case 'none':
      return Promise.resolve(true)
    case 'tcp':
      return new Promise((resolve) => {
        const s = net.connect({ host: '127.0.0.1', port })
        const done = (ok: boolean) => {
          clearTimeout(timer)
          s.destroy()
          resolve(ok)
        }
        const timer = setTimeout(() => done(false), timeoutMs)
        s.once('connect', () => done(true))
        s.once('error', () => done(false))
      })
    case 'http':
      return new Promise((resolve) => {
        const req = http.get({ host: '127.0.0.1', port, path: spec.path, agent: false, timeout: timeoutMs, headers: { 'user-agent': 'shoal-health' } }, (res) => {
          res.resume()
          const code = res.statusCode ?? 0
          resolve(code >= 200 && code < 400)
        })
        req.once('timeout', () => req.destroy())
        req.once('error', () => resolve(false))
      })
  }
}
