import { describe, expect, it } from 'vitest'
import { readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Manifest } from '../../src/core/snapnode.js'
import { encodeManifest } from '../../src/protocol/manifest-codec.js'
import { decodeReplication, encodeReplication, type ReplicationMessage } from '../../src/protocol/volume-messages.js'
import { chunkHash } from '../../src/volume/chunk-hash.js'
import { TMP_PREFIX } from '../../src/volume/fs-atomic.js'
import type { Link } from '../../src/volume/link.js'
import { cutManifest } from '../../src/volume/manifest-pieces.js'
import { ReplicationSender } from '../../src/volume/replication-sender.js'
import { snapshotId } from '../../src/volume/snapshot-id.js'
import { nodeIdOf, pseudoRandom, waitFor } from './helpers.js'
import { connect, twoNodes } from './replication-harness.js'

const good = Buffer.from('hello, replica')
const goodHash = chunkHash(good)
const file = (path: string, over: object = {}) => ({ path, kind: 'file' as const, mode: 0o644, mtimeMs: 1000, size: good.length, chunks: [goodHash], ...over })
const dir = (path: string) => ({ path, kind: 'dir' as const, mode: 0o755, mtimeMs: 1000, size: 0 as const })

interface Evil {
  manifest: Manifest
  /** Replaces the bytes served for a hash. */
  serve?: (hash: string, data: Uint8Array) => Uint8Array | null
  forgeId?: boolean
  /** Raw frames to send right after the offer. */
  extraFrames?: Uint8Array[]
}

/** A hostile or broken sender speaking the protocol by hand on `link`. */
function evilSender(link: Link, evil: Evil): { received: ReplicationMessage[] } {
  const bytes = encodeManifest(evil.manifest)
  const pieces = new Map(cutManifest(bytes).map((p) => [p.hash, p.data]))
  const base = { parent: null, origin: nodeIdOf(9), epoch: 1, seq: 1 }
  const id = evil.forgeId ? nodeIdOf(0xee) : snapshotId(bytes, base)
  const received: ReplicationMessage[] = []
  link.setHandler({
    onFrame(f) {
      const msg = decodeReplication(f)
      received.push(msg)
      if (msg.type !== 'want') return
      for (const hash of msg.hashes) {
        const original = pieces.get(hash) ?? (hash === goodHash ? good : null)
        const data = evil.serve ? evil.serve(hash, original ?? new Uint8Array(0)) : original
        if (data) link.send(encodeReplication({ type: 'chunk', hash, data }))
      }
    },
    onDrain() {},
    onClose() {}
  })
  link.send(encodeReplication({ type: 'offer', snapnode: { id, ...base, time: 5, holders: [] }, manifestSize: bytes.length, manifestPieces: [...pieces.keys()] }))
  for (const f of evil.extraFrames ?? []) link.send(f)
  return { received }
}

const cases: Array<[string, Evil, string]> = [
  ['an absolute path', { manifest: { entries: [file('/etc/cron.d/evil')] } }, 'BAD_MANIFEST'],
  ['a path with ..', { manifest: { entries: [dir('a'), file('a/../../escape')] } }, 'BAD_MANIFEST'],
  ['a symlink that escapes', { manifest: { entries: [{ path: 'l', kind: 'symlink', mode: 0o777, mtimeMs: 1, size: 0, target: '../../etc' }] } }, 'BAD_MANIFEST'],
  ['a file under a symlink', { manifest: { entries: [{ path: 'l', kind: 'symlink', mode: 0o777, mtimeMs: 1, size: 0, target: 'x' }, file('l/f')] } }, 'BAD_MANIFEST'],
  ['duplicate paths', { manifest: { entries: [file('same'), file('same')] } }, 'BAD_MANIFEST'],
  ['a size that does not match its chunks', { manifest: { entries: [file('f', { size: good.length + 5, chunks: [goodHash, goodHash] })] } }, 'BAD_MANIFEST'],
  ['an absurd size', { manifest: { entries: [file('f', { size: 2 ** 52 })] } }, 'BAD_MANIFEST'],
  ['an id that does not match the manifest', { manifest: { entries: [file('f')] }, forgeId: true }, 'BAD_MANIFEST'],
  ['a chunk whose hash does not match', { manifest: { entries: [file('f')] }, serve: (h, d) => (h === goodHash ? Buffer.from('tampered!') : d) }, 'BAD_CHUNK'],
  ['a truncated frame', { manifest: { entries: [file('f')] }, serve: () => null, extraFrames: [encodeReplication({ type: 'chunk', hash: goodHash, data: good }).subarray(0, 20)] }, 'BAD_FRAME'],
  ['a stalled stream', { manifest: { entries: [file('f')] }, serve: () => null }, 'STREAM_STALLED']
]

describe('the receiver refuses bad input', () => {
  it.each(cases)('%s', async (_name, evil, code) => {
    const { master, replica } = await twoNodes()
    const { pair, errors, commits } = connect(master, replica, { receiver: { stallTimeoutMs: 150 } })
    const { received } = evilSender(pair.a, evil)
    await waitFor(() => errors.length > 0)
    expect(errors.map((e) => e.code)).toEqual([code])
    await waitFor(() => received.some((m) => m.type === 'error'))
    expect(received.find((m) => m.type === 'error')).toMatchObject({ code })

    // Nothing partial is visible: no snapshot, no temporary files.
    expect(replica.snapshots.list()).toEqual([])
    expect(commits).toEqual([])
    const chunkDirs = await readdir(replica.chunks.dir)
    for (const d of chunkDirs) expect((await readdir(join(replica.chunks.dir, d))).filter((n) => n.startsWith(TMP_PREFIX))).toEqual([])

    // The receiver still works: a genuine sender on the same link gets its snapshot committed.
    await writeFile(join(master.root, 'real'), 'real data')
    const { snapnode } = await master.snapshotter.snapshot({ epoch: 1 })
    const sender = new ReplicationSender({ link: pair.a, chunks: master.chunks, snapshots: master.snapshots })
    await sender.send(snapnode.id)
    expect(replica.snapshots.list().map((n) => n.id)).toEqual([snapnode.id])
    // And the sender's own data is untouched.
    expect(master.snapshots.get(snapnode.id)?.holders).toContain(replica.id)
  })

  it.each(cases.filter(([, evil, code]) => code === 'BAD_MANIFEST' && !evil.forgeId))('%s, naming only chunks the replica holds, is refused before anything is committed', async (_name, evil) => {
    const { master, replica } = await twoNodes()
    await replica.chunks.put(goodHash, good) // nothing to fetch: the transfer goes straight to its commit
    const { pair, errors, commits } = connect(master, replica)
    const { received } = evilSender(pair.a, evil)
    await waitFor(() => errors.length > 0)
    expect(errors.map((e) => e.code)).toEqual(['BAD_MANIFEST'])
    await waitFor(() => received.some((m) => m.type === 'error'))
    expect(received.some((m) => m.type === 'want' && m.hashes.includes(goodHash))).toBe(false)
    expect(replica.snapshots.list()).toEqual([])
    expect(commits).toEqual([])
  })

  it('a refused offer (accept hook) commits nothing and tells the sender', async () => {
    const { master, replica } = await twoNodes()
    await writeFile(join(master.root, 'a'), 'a')
    const { snapnode } = await master.snapshotter.snapshot({ epoch: 1 })
    const { ShoalError } = await import('../../src/core/errors.js')
    const { sender } = connect(master, replica, {
      receiver: {
        accept: () => {
          throw new ShoalError('NOT_A_REPLICA', 'not a replica of this app')
        }
      }
    })
    await expect(sender.send(snapnode.id)).rejects.toMatchObject({ code: 'NOT_A_REPLICA' })
    expect(replica.snapshots.list()).toEqual([])
  })

  it('an offer naming as manifest pieces more held chunks than its size allows is refused before they are loaded', async () => {
    const { master, replica } = await twoNodes()
    // The replica holds a megabyte of chunks; a lying offer names them all as its "manifest".
    await writeFile(join(master.root, 'big'), pseudoRandom(1024 * 1024))
    const { snapnode } = await master.snapshotter.snapshot({ epoch: 1 })
    await connect(master, replica).sender.send(snapnode.id)
    const held = (await replica.snapshots.readManifest(snapnode.id)).entries.flatMap((e) => (e.kind === 'file' ? e.chunks : []))
    expect(held.length).toBeGreaterThan(10)
    // Nothing the offer named is loaded (the receiver's own manifest is read with readMany).
    let loaded = 0
    const get = replica.chunks.get.bind(replica.chunks)
    replica.chunks.get = (h: string) => {
      loaded++
      return get(h)
    }
    const { pair, errors } = connect(master, replica)
    const received: ReplicationMessage[] = []
    pair.a.setHandler({ onFrame: (f) => received.push(decodeReplication(f)), onDrain() {}, onClose() {} })
    const base = { parent: null, origin: nodeIdOf(9), epoch: 2, seq: 1 }
    pair.a.send(encodeReplication({ type: 'offer', snapnode: { id: nodeIdOf(0xab), ...base, time: 5, holders: [] }, manifestSize: held.length, manifestPieces: held }))
    await waitFor(() => errors.length > 0)
    expect(errors.map((e) => e.code)).toEqual(['BAD_MANIFEST'])
    expect(loaded).toBe(0)
    await waitFor(() => received.some((m) => m.type === 'error'))
    expect(replica.snapshots.list().map((n) => n.id)).toEqual([snapnode.id])
  })

  it('the sender times out a silent receiver with STREAM_STALLED', async () => {
    const { master } = await twoNodes()
    await writeFile(join(master.root, 'a'), 'a')
    const { snapnode } = await master.snapshotter.snapshot({ epoch: 1 })
    const { createMemoryLinkPair } = await import('../../src/volume/memory-link.js')
    const pair = createMemoryLinkPair()
    pair.b.setHandler({ onFrame() {}, onDrain() {}, onClose() {} })
    const sender = new ReplicationSender({ link: pair.a, chunks: master.chunks, snapshots: master.snapshots, stallTimeoutMs: 100 })
    await expect(sender.send(snapnode.id)).rejects.toMatchObject({ code: 'STREAM_STALLED' })
  })
})
