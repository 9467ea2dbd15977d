import { describe, expect, it } from 'vitest'
import type { LinkState } from '../../src/mesh/front-links.js'
import type { Mesh } from '../../src/mesh/mesh.js'
import { ClusterRoutes, type FrontLinkSource, type RouteSources } from '../../src/node/routes.js'

const SELF = '1'.repeat(64)
const MASTER = '2'.repeat(64)

/**
 * Front links as a table: each address of the master is 'up', 'trying' or 'refused', and may be
 * verified; records which addresses the routes asked about, and which they opened streams on.
 */
class FakeLinks implements FrontLinkSource {
  readonly asked: string[] = []
  readonly opened: string[] = []
  constructor(
    private readonly states: Record<string, LinkState>,
    private readonly verifiedHosts: string[] = []
  ) {}
  reach(host: string, port: number, node: string): LinkState {
    expect(node).toBe(MASTER)
    expect(port).toBe(8080)
    this.asked.push(host)
    return this.states[host] ?? 'trying'
  }
  verified(host: string, _port: number, node: string): boolean {
    return node === MASTER && this.verifiedHosts.includes(host)
  }
  open(host: string, _port: number, _node: string, name: string) {
    this.opened.push(`${host}/${name}`)
    return null
  }
}

/** Gossip with one app, `shop` (HTTP host shop.test, TCP port 7000), mastered by `master`. */
function cluster(kind: 'http' | 'tcp', links: FakeLinks, opts: { master?: string; addresses?: string[]; preferTunnel?: boolean; status?: string; session?: boolean } = {}) {
  const master = opts.master ?? MASTER
  const tunnels: string[] = []
  const record = { httpPort: 8080, portOffset: 10, addresses: opts.addresses ?? ['10.0.0.1', '192.168.1.5'] }
  const mesh = {
    gossip: {
      apps: {
        specs: new Map([
          ['shop', { name: 'shop', deleted: false, httpHosts: ['shop.test', '*.shops.test'], tcpPort: 7000 }],
          ['eu', { name: 'eu', deleted: false, httpHosts: ['*.eu.shops.test'], tcpPort: 0 }]
        ]),
        placements: new Map([['shop', { master, replicas: [], epoch: 1 }]])
      },
      table: {
        get: (id: string) => (id === MASTER ? { record } : undefined),
        status: (id: string) => (id === MASTER ? (opts.status ?? 'alive') : 'dead')
      }
    }
  } as unknown as Mesh
  const src: RouteSources = {
    self: SELF,
    mesh,
    localPort: (app) => (app === 'shop' ? 5000 : null),
    tunnel: (peer, name) => {
      tunnels.push(`${peer.slice(0, 4)}/${name}`)
      return null
    },
    hasTunnel: (peer) => peer === MASTER && (opts.session ?? true),
    preferTunnel: opts.preferTunnel ?? false,
    links
  }
  return { routes: new ClusterRoutes(src, kind), tunnels }
}

describe('cluster routes', () => {
  it('send HTTP over the front link at the first address that leads to the master', () => {
    const links = new FakeLinks({ '10.0.0.1': 'refused', '192.168.1.5': 'up' })
    const { routes } = cluster('http', links)
    const t = routes.currentTarget('shop')
    expect(t).toMatchObject({ kind: 'tunnel', key: 'link:192.168.1.5:8080/http:shop' })
    expect(links.asked).toEqual(['10.0.0.1', '192.168.1.5'])
    if (t?.kind === 'tunnel') t.open().on('error', () => {})
    expect(links.opened).toEqual(['192.168.1.5/http:shop'])
  })

  it('use the mesh tunnel while a link is being made, without trying the next address yet', () => {
    const links = new FakeLinks({ '10.0.0.1': 'trying', '192.168.1.5': 'up' })
    const { routes, tunnels } = cluster('http', links)
    const t = routes.currentTarget('shop')
    expect(t).toMatchObject({ kind: 'tunnel', key: `${MASTER}/http:shop` })
    expect(links.asked).toEqual(['10.0.0.1'])
    if (t?.kind === 'tunnel') t.open().on('error', () => {})
    expect(tunnels).toEqual([`${MASTER.slice(0, 4)}/http:shop`])
  })

  it('use the mesh tunnel when no address leads to the master, and when told to prefer it', () => {
    const none = new FakeLinks({ '10.0.0.1': 'refused', '192.168.1.5': 'refused' })
    expect(cluster('http', none).routes.currentTarget('shop')).toMatchObject({ kind: 'tunnel', key: `${MASTER}/http:shop` })
    expect(cluster('http', new FakeLinks({}), { addresses: [] }).routes.currentTarget('shop')).toMatchObject({ kind: 'tunnel', key: `${MASTER}/http:shop` })
    const up = new FakeLinks({ '10.0.0.1': 'up' }, ['10.0.0.1'])
    expect(cluster('http', up, { preferTunnel: true }).routes.currentTarget('shop')).toMatchObject({ kind: 'tunnel', key: `${MASTER}/http:shop` })
    expect(cluster('tcp', up, { preferTunnel: true }).routes.currentTarget('shop')).toMatchObject({ kind: 'tunnel', key: `${MASTER}/tcp:shop` })
    expect(up.asked).toEqual([])
  })

  it('when the link goes away between routing and opening, the stream goes through the mesh tunnel', () => {
    const links = new FakeLinks({ '10.0.0.1': 'up' })
    const { routes, tunnels } = cluster('http', links)
    const t = routes.currentTarget('shop')
    if (t?.kind !== 'tunnel') throw new Error('expected a link target')
    t.open().on('error', () => {})
    expect(links.opened).toEqual(['10.0.0.1/http:shop'])
    expect(tunnels).toEqual([`${MASTER.slice(0, 4)}/http:shop`])
  })

  it('connect a TCP app directly only at an address proven to be the master’s, at its port plus the offset', () => {
    const proven = new FakeLinks({ '10.0.0.1': 'refused' }, ['192.168.1.5'])
    expect(cluster('tcp', proven).routes.currentTarget('shop')).toEqual({ kind: 'direct', host: '192.168.1.5', port: 7010 })
    const unproven = new FakeLinks({ '10.0.0.1': 'trying' })
    expect(cluster('tcp', unproven).routes.currentTarget('shop')).toMatchObject({ kind: 'tunnel', key: `${MASTER}/tcp:shop` })
    // Asking starts the proof (a link to the HTTP port) at the first address.
    expect(unproven.asked).toEqual(['10.0.0.1'])
  })

  it('with no mesh session to the master and no address proven yet, name no target (the front holds the request for one)', () => {
    const trying = new FakeLinks({ '10.0.0.1': 'trying' })
    expect(cluster('http', trying, { session: false }).routes.currentTarget('shop')).toBeNull()
    expect(cluster('tcp', trying, { session: false }).routes.currentTarget('shop')).toBeNull()
    expect(cluster('http', new FakeLinks({ '10.0.0.1': 'up' }), { session: false }).routes.currentTarget('shop')).toMatchObject({ key: 'link:10.0.0.1:8080/http:shop' })
    expect(cluster('tcp', new FakeLinks({}, ['10.0.0.1']), { session: false }).routes.currentTarget('shop')).toEqual({ kind: 'direct', host: '10.0.0.1', port: 7010 })
  })

  it('leave a TCP address that did not answer for the tunnel a while', () => {
    const proven = new FakeLinks({}, ['10.0.0.1'])
    const { routes } = cluster('tcp', proven)
    routes.directFailed('10.0.0.1', 7010)
    expect(routes.currentTarget('shop')).toMatchObject({ kind: 'tunnel' })
  })

  it('answer locally on the master, and nothing when the master is dead or unknown', () => {
    expect(cluster('http', new FakeLinks({}), { master: SELF }).routes.currentTarget('shop')).toEqual({ kind: 'local', port: 5000 })
    expect(cluster('http', new FakeLinks({}), { status: 'dead' }).routes.currentTarget('shop')).toBeNull()
    expect(cluster('http', new FakeLinks({}), { master: '3'.repeat(64) }).routes.currentTarget('shop')).toBeNull()
    expect(cluster('http', new FakeLinks({})).routes.resolve('shop.test')).toEqual({ app: 'shop' })
    expect(cluster('http', new FakeLinks({})).routes.resolve('other.test')).toBeNull()
    // A `*.` name covers every name under it; the closest one wins, an exact name before any.
    const r = cluster('http', new FakeLinks({})).routes
    expect(r.resolve('a.shops.test')).toEqual({ app: 'shop' })
    expect(r.resolve('x.y.shops.test')).toEqual({ app: 'shop' })
    expect(r.resolve('de.eu.shops.test')).toEqual({ app: 'eu' })
    expect(r.resolve('shops.test')).toBeNull()
    expect(r.resolve('ashops.test')).toBeNull()
  })
})
