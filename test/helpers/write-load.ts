import http from 'node:http'

export interface WriteFailure {
  client: number
  body: string
  port: number
  at: number
  /** HTTP status, or the socket error's code/message. */
  reason: string
}

export interface WriteLoadOptions {
  /** HTTP ports of the nodes to write through; client i uses ports[i % ports.length]. */
  ports: number[]
  host: string
  clients: number
  /** Clients with an odd index keep their connection alive; even ones open one per request. */
  mixKeepAlive?: boolean
  path?: string
  timeoutMs?: number
  /** Pause between a client's requests (0: as fast as answers come). */
  gapMs?: number
  /** Pause after a failed request, so a client does not spin while the app is unreachable. */
  failureGapMs?: number
}

/**
 * Concurrent clients that POST uniquely named records through the given node fronts until
 * stopped. Every 201 is remembered as an acknowledged write (with the time it was answered),
 * every other outcome as a failure: what a user of the app would notice.
 */
export class WriteLoad {
  readonly acked: Array<{ body: string; at: number }> = []
  readonly failures: WriteFailure[] = []
  attempted = 0
  private running = true
  private readonly loops: Array<Promise<void>>
  private readonly agents: http.Agent[] = []

  constructor(private readonly o: WriteLoadOptions) {
    this.loops = Array.from({ length: o.clients }, (_, i) => this.loop(i))
  }

  /** Resolves once the next `n` writes (from now) were acknowledged. */
  async waitAcked(n: number, timeoutMs = 15_000): Promise<void> {
    const want = this.acked.length + n
    const deadline = Date.now() + timeoutMs
    while (this.acked.length < want) {
      if (Date.now() > deadline) throw new Error(`only ${this.acked.length - want + n} of ${n} writes acknowledged in ${timeoutMs} ms; failures: ${JSON.stringify(this.failures.slice(-3))}`)
      await new Promise((r) => setTimeout(r, 20))
    }
  }

  /** Stops the clients after their current request and waits for them. */
  async stop(): Promise<void> {
    this.running = false
    await Promise.all(this.loops)
    for (const a of this.agents) a.destroy()
  }

  private async loop(i: number): Promise<void> {
    const port = this.o.ports[i % this.o.ports.length]!
    const agent = this.o.mixKeepAlive && i % 2 === 1 ? new http.Agent({ keepAlive: true, maxSockets: 1 }) : false
    if (agent) this.agents.push(agent)
    for (let seq = 0; this.running; seq++) {
      const body = `c${i}-${seq}`
      this.attempted++
      const reason = await post(port, this.o.host, this.o.path ?? '/records', body, agent, this.o.timeoutMs ?? 15_000)
      if (reason === null) this.acked.push({ body, at: Date.now() })
      else {
        this.failures.push({ client: i, body, port, at: Date.now(), reason })
        if (this.o.failureGapMs) await new Promise((r) => setTimeout(r, this.o.failureGapMs))
      }
      if (this.o.gapMs) await new Promise((r) => setTimeout(r, this.o.gapMs))
    }
  }
}

/** One POST; null when answered 201, else why not. Never throws. */
function post(port: number, host: string, path: string, body: string, agent: http.Agent | false, timeoutMs: number): Promise<string | null> {
  return new Promise((resolve) => {
    const req = http.request({ host: '127.0.0.1', port, method: 'POST', path, headers: { host, 'content-length': Buffer.byteLength(body) }, agent, timeout: timeoutMs }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (d) => (text += d))
      res.on('end', () => resolve(res.statusCode === 201 ? null : `${res.statusCode}: ${text.trim().slice(0, 200)}`))
      res.on('error', (e) => resolve(`response error: ${e.message}`))
    })
    req.on('timeout', () => req.destroy(new Error('timed out')))
    req.on('error', (e: NodeJS.ErrnoException) => resolve(`request error: ${e.code ?? e.message}`))
    req.end(body)
  })
}

/** Bodies of acknowledged writes that are not among `present`. */
export function missing(acked: Array<{ body: string }>, present: Iterable<string>): string[] {
  const have = new Set(present)
  return acked.map((a) => a.body).filter((b) => !have.has(b))
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!
}
