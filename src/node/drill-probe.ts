import http from 'node:http'

/** Writes per second the probe aims at (spread over its targets in turn). */
export const PROBE_RATE = 20
/** A probe write that takes longer than this counts as failed. */
export const PROBE_TIMEOUT_MS = 5000

export interface ProbeTarget {
  name: string
  host: string
  port: number
}

export interface ProbeWrite {
  body: string
  target: string
  startedAt: number
  endedAt: number
  /** HTTP status, or 0 when no answer came. */
  status: number
  /** Why it failed: the status, or the socket error's code. */
  reason?: string
}

/**
 * The client a drill runs: POSTs a unique body (`<prefix>-<000001>`, zero-padded so no body is
 * a prefix of another) to `path` through each target front in turn, with Host set to the app's
 * name, and records every outcome. `write()` sends one extra write through a given front.
 */
export class DrillProbe {
  readonly writes: ProbeWrite[] = []
  private seq = 0
  private timer: NodeJS.Timeout | null = null
  private turn = 0
  private readonly inFlight = new Set<Promise<void>>()
  private readonly agent = new http.Agent({ keepAlive: false })

  constructor(
    private readonly o: { targets: ProbeTarget[]; hostHeader: string; path: string; prefix: string; rate?: number }
  ) {}

  start(): void {
    if (this.timer !== null || this.o.targets.length === 0) return
    this.timer = setInterval(() => {
      const t = this.o.targets[this.turn++ % this.o.targets.length]!
      this.track(this.write(t))
    }, Math.max(5, Math.round(1000 / (this.o.rate ?? PROBE_RATE))))
  }

  /** Stops sending and waits for the writes still in flight. */
  async stop(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer)
    this.timer = null
    await Promise.all([...this.inFlight])
    this.agent.destroy()
  }

  get acknowledged(): ProbeWrite[] {
    return this.writes.filter((w) => ok(w.status))
  }

  /** One write through `t`; resolves with its outcome (never rejects). */
  write(t: ProbeTarget): Promise<ProbeWrite> {
    const body = `${this.o.prefix}-${String(++this.seq).padStart(6, '0')}`
    const w: ProbeWrite = { body, target: t.name, startedAt: Date.now(), endedAt: 0, status: 0 }
    this.writes.push(w)
    return new Promise<ProbeWrite>((resolve) => {
      const done = (status: number, reason?: string) => {
        if (w.endedAt !== 0) return
        w.endedAt = Date.now()
        w.status = status
        if (!ok(status)) w.reason = reason ?? String(status)
        resolve(w)
      }
      const req = http.request(
        { host: t.host, port: t.port, method: 'POST', path: this.o.path, agent: this.agent, timeout: PROBE_TIMEOUT_MS, headers: { host: this.o.hostHeader, 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) } },
        (res) => {
          res.resume()
          res.on('end', () => done(res.statusCode ?? 0))
          res.on('error', () => done(0))
        }
      )
      req.on('timeout', () => req.destroy(new Error('probe write timed out')))
      req.on('error', (err: NodeJS.ErrnoException) => done(0, err.code ?? err.message))
      req.end(body)
    })
  }

  private track(p: Promise<ProbeWrite>): void {
    const t = p.then(() => undefined)
    this.inFlight.add(t)
    void t.finally(() => this.inFlight.delete(t))
  }
}

export function ok(status: number): boolean {
  return status >= 200 && status < 300
}

/** GETs `path` through a front; the body text, or null when it does not answer 2xx. */
export function readThrough(t: ProbeTarget, hostHeader: string, path: string): Promise<string | null> {
  return new Promise((resolve) => {
    const req = http.request({ host: t.host, port: t.port, method: 'GET', path, agent: false, timeout: PROBE_TIMEOUT_MS, headers: { host: hostHeader } }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (d: string) => (text += d))
      res.on('end', () => resolve(ok(res.statusCode ?? 0) ? text : null))
      res.on('error', () => resolve(null))
    })
    req.on('timeout', () => req.destroy(new Error('timed out')))
    req.on('error', () => resolve(null))
    req.end()
  })
}
