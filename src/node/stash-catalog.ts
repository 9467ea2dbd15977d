import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { ShoalError } from '../core/errors.js'
import { stashTime } from '../core/stash-branch.js'
import type { NodeId } from '../core/types.js'
import type { StashList, StashView } from '../control/drill-types.js'
import type { Mesh } from '../mesh/mesh.js'
import type { PeerRpc, RpcHandler } from '../mesh/peer-rpc.js'
import type { AppVolume } from './app-volume.js'

/** A peer that does not answer a listing within this long is reported unreachable. */
export const STASH_LIST_TIMEOUT_MS = 5000
/** `search` reads at most this much of a stash's files. */
export const SEARCH_MAX_BYTES = 256 * 1024 * 1024

export interface StashCatalogOptions {
  home: string
  self: NodeId
  selfName: string
  mesh: Mesh
  volume(app: string): Promise<AppVolume>
  rpc(peer: NodeId): PeerRpc | null
}

/**
 * The stashes on this node (one SnapshotStore per app volume) and, through node-to-node calls,
 * the cluster's. Checkout writes a folder on the node that runs it, so it runs only where the
 * stash is; drop is forwarded to the holder.
 */
export class StashCatalog {
  constructor(private readonly o: StashCatalogOptions) {}

  async local(): Promise<StashView[]> {
    const entries = await readdir(join(this.o.home, 'apps'), { withFileTypes: true }).catch(() => [])
    const out: StashView[] = []
    for (const app of entries.filter((e) => e.isDirectory()).map((e) => e.name).sort()) {
      const vol = await this.o.volume(app)
      for (const [id, ids] of Object.entries(vol.store.stashes())) {
        const head = ids.at(-1)
        const node = head === undefined ? undefined : vol.store.get(head)
        const bytes = node === undefined ? 0 : (await vol.store.readManifest(node.id)).entries.reduce((n, e) => n + e.size, 0)
        out.push({
          id,
          app,
          node: this.o.selfName,
          nodeId: this.o.self,
          time: stashTime(id) ?? node?.time ?? 0,
          epoch: node?.epoch ?? 0,
          snapshots: ids.length,
          head: head ?? '',
          bytes
        })
      }
    }
    return out
  }

  /** Every alive node's stashes, newest first. */
  async cluster(): Promise<StashList> {
    const { table } = this.o.mesh.gossip
    const peers = [...table.members.keys()].filter((id) => id !== this.o.self && table.status(id) === 'alive')
    const unreachable: string[] = []
    const lists = await Promise.all(
      peers.map(async (peer) => {
        const rpc = this.o.rpc(peer)
        try {
          if (rpc === null) throw new ShoalError('NODE_CLOSED', 'no connection')
          return (await withTimeout(rpc.request('stash.list', {}), STASH_LIST_TIMEOUT_MS)) as StashView[]
        } catch {
          unreachable.push(table.get(peer)?.record?.name ?? peer.slice(0, 8))
          return []
        }
      })
    )
    const stashes = [...(await this.local()), ...lists.flat()].sort((a, b) => b.time - a.time || a.id.localeCompare(b.id))
    return { stashes, unreachable }
  }

  /** Materialises a stash held here into `dir` (new or empty); elsewhere: says where to run it. */
  async checkout(id: string, dir: string): Promise<{ id: string; dir: string; snapshot: string }> {
    const target = resolve(dir)
    const here = (await this.local()).find((s) => s.id === id)
    if (here === undefined) {
      const there = (await this.cluster()).stashes.find((s) => s.id === id)
      if (there === undefined) throw new ShoalError('NOT_FOUND', `no stash called ${id} (see: shoal stash ls)`)
      throw new ShoalError('NOT_FOUND', `stash ${id} is held by ${there.node}: run shoal stash checkout ${id} DIR on ${there.node} (its --home)`)
    }
    const entries = await readdir(target).catch(() => null)
    if (entries !== null && entries.length > 0) throw new ShoalError('BAD_ARGUMENT', `${target} is not empty: choose a new or empty folder`)
    const vol = await this.o.volume(here.app)
    await vol.checkoutTo(here.head, target)
    return { id, dir: target, snapshot: here.head }
  }

  /** Removes a stash wherever it is held (its snapshots become prunable again). */
  async drop(id: string): Promise<StashView> {
    const here = (await this.local()).find((s) => s.id === id)
    if (here !== undefined) {
      await (await this.o.volume(here.app)).store.unstash(id)
      return here
    }
    const there = (await this.cluster()).stashes.find((s) => s.id === id)
    if (there === undefined) throw new ShoalError('NOT_FOUND', `no stash called ${id} (see: shoal stash ls)`)
    const rpc = this.o.rpc(there.nodeId)
    if (rpc === null) throw new ShoalError('NODE_CLOSED', `no connection to ${there.node}, which holds ${id}`)
    return (await rpc.request('stash.drop', { id })) as StashView
  }

  /** Which of `needles` occur in the files of a stash held here (drills look for their writes). */
  async search(id: string, needles: string[]): Promise<string[]> {
    const here = (await this.local()).find((s) => s.id === id)
    if (here === undefined) throw new ShoalError('NOT_FOUND', `${this.o.selfName} holds no stash ${id}`)
    const tmp = await mkdtemp(join(this.o.home, 'stash-search-'))
    try {
      const dir = join(tmp, 'data')
      await (await this.o.volume(here.app)).checkoutTo(here.head, dir)
      const found = new Set<string>()
      let read = 0
      for (const file of await readdir(dir, { recursive: true, withFileTypes: true })) {
        if (!file.isFile() || read > SEARCH_MAX_BYTES) continue
        const text = await readFile(join(file.parentPath, file.name), 'utf8')
        read += text.length
        for (const n of needles) if (text.includes(n)) found.add(n)
      }
      return [...found]
    } finally {
      await rm(tmp, { recursive: true, force: true })
    }
  }

  rpcHandlers(): Record<string, RpcHandler> {
    return {
      'stash.list': async () => this.local(),
      'stash.drop': async (p) => {
        if (typeof p.id !== 'string') throw new ShoalError('BAD_ARGUMENT', 'stash.drop needs id')
        const here = (await this.local()).find((s) => s.id === p.id)
        if (here === undefined) throw new ShoalError('NOT_FOUND', `${this.o.selfName} holds no stash ${p.id}`)
        await (await this.o.volume(here.app)).store.unstash(here.id)
        return here
      },
      'stash.search': async (p) => {
        if (typeof p.id !== 'string' || !Array.isArray(p.needles)) throw new ShoalError('BAD_ARGUMENT', 'stash.search needs id and needles')
        return this.search(p.id, p.needles.filter((n): n is string => typeof n === 'string'))
      }
    }
  }
}

async function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | null = null
  p.catch(() => undefined) // a late failure after the timeout is of no interest
  try {
    return await Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new ShoalError('NODE_CLOSED', 'no answer in time')), ms)))])
  } finally {
    if (timer !== null) clearTimeout(timer)
  }
}
