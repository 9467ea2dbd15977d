import http from 'node:http'

/** Light traffic for the demo: a write every `everyMs`, round-robin over the nodes' fronts. */
export class DemoTraffic {
  private timer: NodeJS.Timeout | null = null
  private n = 0
  sent = 0
  failed = 0

  constructor(
    private readonly ports: number[],
    private readonly host: string,
    private readonly everyMs = 500
  ) {}

  start(): void {
    this.timer = setInterval(() => this.once(), this.everyMs)
    this.timer.unref()
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer)
    this.timer = null
  }

  private once(): void {
    const port = this.ports[this.n++ % this.ports.length]!
    const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/records', headers: { host: this.host }, agent: false, timeout: 5000 }, (res) => {
      res.resume()
      if ((res.statusCode ?? 500) < 300) this.sent++
      else this.failed++
    })
    req.on('timeout', () => req.destroy())
    req.on('error', () => this.failed++)
    req.end(`demo write ${this.n}`)
  }
}
