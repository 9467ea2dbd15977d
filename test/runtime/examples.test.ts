import net from 'node:net'
import path from 'node:path'
import fs from 'node:fs'
import { describe, expect, it } from 'vitest'
import { AppSupervisor } from '../../src/runtime/supervisor.js'
import { tempDir } from './helpers.js'

const EXAMPLES = path.join(import.meta.dirname, '..', '..', 'examples')

function run(app: string, script: string, health: string, dataDir: string): AppSupervisor {
  return new AppSupervisor({ app, cmd: `exec node ${JSON.stringify(path.join(EXAMPLES, script))}`, dataDir, nodeName: 'n1', health, stopGraceMs: 3000 })
}

describe('examples', () => {
  it('http-counter acknowledges writes that survive a restart', async () => {
    const data = tempDir()
    const sup = run('counter', 'http-counter/server.mjs', 'http:/health', data)
    await sup.start()
    const base = `http://127.0.0.1:${sup.port}`
    const acks = await Promise.all(Array.from({ length: 20 }, (_, i) => fetch(`${base}/records`, { method: 'POST', body: `r${i}` })))
    expect(acks.map((r) => r.status)).toEqual(Array(20).fill(201))
    expect(await (await fetch(`${base}/count`)).json()).toEqual({ count: 20, node: 'n1' })
    await sup.stop()
    expect(fs.readFileSync(path.join(data, 'records.jsonl'), 'utf8').trim().split('\n')).toHaveLength(20)
    const again = run('counter', 'http-counter/server.mjs', 'http:/health', data)
    await again.start()
    const all = (await (await fetch(`http://127.0.0.1:${again.port}/records`)).json()) as { count: number; records: Array<{ body: string }> }
    expect(all.count).toBe(20)
    expect(all.records.map((r) => r.body).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `r${i}`).sort())
    await again.stop()
  })

  it('tcp-echo echoes and closes on half-close', async () => {
    const sup = run('echo', 'tcp-echo/server.mjs', 'tcp', tempDir())
    await sup.start()
    const out = await new Promise<string>((resolve, reject) => {
      const s = net.connect({ port: sup.port!, host: '127.0.0.1', allowHalfOpen: true })
      let got = ''
      s.on('data', (d) => (got += d))
      s.on('end', () => resolve(got))
      s.on('error', reject)
      s.end('ping')
    })
    expect(out).toBe('ping')
    await sup.stop()
  })
})
