import os from 'node:os'
import type { NodeLoad } from '../core/types.js'

/** Measures this machine's CPU and memory use between two calls to `sample()`. */
export class LoadSampler {
  private last = cpuTimes()

  sample(apps: NodeLoad['apps'] = {}): NodeLoad {
    const now = cpuTimes()
    const busy = now.busy - this.last.busy
    const total = now.total - this.last.total
    this.last = now
    return {
      cpu: total > 0 ? round(busy / total) : 0,
      mem: round(1 - os.freemem() / os.totalmem()),
      rss: process.memoryUsage.rss(),
      apps
    }
  }
}

function cpuTimes(): { busy: number; total: number } {
  let busy = 0
  let total = 0
  for (const cpu of os.cpus()) {
    const t = cpu.times
    const all = t.user + t.nice + t.sys + t.idle + t.irq
    total += all
    busy += all - t.idle
  }
  return { busy, total }
}

const round = (n: number) => Math.round(n * 1000) / 1000
