import { describe, expect, it, onTestFinished } from 'vitest'
import net from 'node:net'
import { fileURLToPath } from 'node:url'
import { FrontLinks } from '../../src/mesh/front-links.js'
import { advertisedAddresses } from '../../src/node/advertised-addresses.js'
import { HttpFront } from '../../src/proxy/http-front.js'
import { startBackend } from '../proxy/helpers.js'
import { clusterForTest, shoal } from '../helpers/processes.js'
import { request } from '../helpers/http.js'
import { waitFor } from '../helpers/wait.js'

const COUNTER = fileURLToPath(new URL('../../examples/http-counter/server.mjs', import.meta.url))

/** A port free on every one of `hosts` (loopback addresses), so two nodes can bind it each on their own. */
async function portFreeOn(hosts: string[]): Promise<number> {
  for (;;) {
    const probe = net.createServer()
    await new Promise<void>((r) => probe.listen(0, hosts[0], r))
    const port = (probe.address() as net.AddressInfo).port
    const others = await Promise.all(
      hosts.slice(1).map(
        (h) =>
          new Promise<boolean>((resolve) => {
            const s = net.createServer()
            s.once('error', () => resolve(false))
            s.listen(port, h, () => s.close(() => resolve(true)))
          })
      )
    )
    await new Promise<void>((r) => probe.close(() => r()))
    if (others.every(Boolean)) return port
  }
}

describe('advertised addresses', () => {
  it('default to the bound address, never to "every interface", and the operator’s list wins', () => {
    expect(advertisedAddresses({ host: '10.1.2.3' })).toEqual(['10.1.2.3'])
    expect(advertisedAddresses({ host: '10.1.2.3', advertise: ['203.0.113.7', '10.1.2.3'] })).toEqual(['203.0.113.7', '10.1.2.3'])
    for (const host of ['0.0.0.0', '::', undefined]) {
      const list = advertisedAddresses({ host })
      expect(list).not.toContain('0.0.0.0')
      expect(list).not.toContain('::')
      expect(list.length).toBeLessThanOrEqual(8)
    }
  })

  it('--advertise takes only addresses other nodes can dial', async () => {
    for (const bad of ['0.0.0.0', 'a b', '10.0.0.1,,10.0.0.2', '10.0.0.1,', '999.1.1.1', '1.2.3', '-x.example', Array.from({ length: 9 }, (_, i) => `10.0.0.${i}`).join(',')]) {
      const r = await shoal(['up', '--home', '/nonexistent-shoal-home', '--cluster', 'c1'.repeat(32), '--advertise', bad])
      expect(r.code).toBe(2)
      expect(r.stderr.trim().split('\n')).toHaveLength(1)
      expect(r.stderr).toContain('--advertise')
    }
  })

  it('a master whose first advertised address leads to another Shoal node: every node still reaches the master', async () => {
    // alpha binds 127.0.0.1:P but names 127.0.0.2 first, where another Shoal node's front
    // listens on the same port (as when a server advertises a private address that another
    // server also has). That front serves the same host name from its own backend, "decoy".
    const port = await portFreeOn(['127.0.0.1', '127.0.0.2'])
    const decoyApp = await startBackend('decoy')
    const decoyLinks = new FrontLinks({ self: 'd'.repeat(64), onStream: (_name, stream) => decoy.accept(stream) })
    const decoy = new HttpFront({
      host: '127.0.0.2',
      port,
      resolver: { resolve: () => ({ app: 'counter' }), target: async () => ({ kind: 'local', port: decoyApp.port }) },
      acceptLink: (sock, rest, url) => decoyLinks.accept(sock, rest, url)
    })
    await decoy.ready()
    onTestFinished(async () => {
      decoyLinks.close()
      await decoy.close()
    })
    const cluster = await clusterForTest()
    const alpha = cluster.start('alpha', ['--http-port', String(port), '--advertise', '127.0.0.2,127.0.0.1'])
    const beta = cluster.start('beta', ['--port-offset', '10'])
    const gamma = cluster.start('gamma', ['--port-offset', '20'])
    for (const n of [alpha, beta, gamma]) await cluster.waitAlive(n, ['alpha', 'beta', 'gamma'])
    const ports = new Map((await cluster.status(alpha)).nodes.map((n) => [n.name, n.httpPort]))
    const add = await shoal(['app', 'add', 'counter', '--home', gamma.home, '--cmd', `node ${COUNTER}`, '--http-host', 'counter.test', '--health', 'http:/health', '--replicas', '1', '--pin', 'alpha'])
    expect(add.code, add.stderr).toBe(0)
    await waitFor(async () => (await request(port, 'counter.test', { path: '/count' })).status === 200, 'the app to answer on alpha', 20_000)
    // Until a link shows where alpha is, the others go through the mesh; then over the link at
    // 127.0.0.1, the second address. Every answer comes from alpha's app, none from the decoy.
    for (let round = 0; round < 5; round++) {
      for (const via of ['beta', 'gamma']) {
        const r = await request(ports.get(via)!, 'counter.test', { path: '/count' })
        expect(r.status, `${via}: ${r.body}`).toBe(200)
        expect(JSON.parse(r.body).node).toBe('alpha')
      }
    }
    await waitFor(async () => (await cluster.status(alpha)).frontLinks?.in === 2, 'beta and gamma to hold a front link to alpha')
    for (const n of [beta, gamma]) expect((await cluster.status(n)).frontLinks).toEqual({ out: 1, in: 0 })
    for (const via of ['beta', 'gamma']) expect(JSON.parse((await request(ports.get(via)!, 'counter.test', { path: '/count' })).body).node).toBe('alpha')
    expect(decoyApp.seen).toHaveLength(0)
    expect(decoyLinks.counts.in).toBe(0)
  })
})
